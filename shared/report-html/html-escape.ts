const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const SPECIAL = /[&<>"']/;

/**
 * Text as HTML text or as a quoted attribute value: the five characters that could end a text run,
 * open a tag or close an attribute become entities. Safe in both places, as long as attributes are
 * quoted (every attribute this renderer writes is). Text without any, most of a finding's, comes back
 * as it is without the replace (a page escapes every field of every finding).
 */
export const escapeHtml = (text: string): string => (SPECIAL.test(text) ? text.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character) : text);

/** Markup the renderer made itself. Only `html` and `trusted` make one, so a finding's text never is. */
class Markup {
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

export type { Markup };

/** What a template takes: markup as it is, text and numbers escaped, nothing for `false`/null/undefined. */
export type Interpolation = Markup | string | number | false | null | undefined | readonly Interpolation[];

const interpolate = (value: Interpolation): string => {
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return (value as readonly Interpolation[]).map(interpolate).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
};

/**
 * The one way markup is written: every interpolated value is escaped unless it is itself markup, so
 * an unescaped value cannot be forgotten.
 *
 *     html`<td>${finding.observed}</td>`  // observed is text, whatever it contains
 */
export const html = (strings: TemplateStringsArray, ...values: readonly Interpolation[]): Markup => {
  let text = strings[0] ?? '';
  for (let index = 0; index < values.length; index += 1) text += interpolate(values[index]) + (strings[index + 1] ?? '');
  return new Markup(text);
};

/**
 * Text that is already markup: a fragment another part of this renderer produced (the page frame,
 * the chart). Never text from a finding, an account or a caller.
 */
export const trusted = (markup: string): Markup => new Markup(markup);

/** Markup joined, as `html` would join an array. */
export const joinMarkup = (parts: readonly Interpolation[], separator: Interpolation = ''): Markup =>
  new Markup(parts.map(interpolate).join(interpolate(separator)));

const isControl = (character: string): boolean => {
  const code = character.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
};

/**
 * A link target that can only navigate: an http(s) URL or a relative reference. Anything with
 * another scheme (javascript:, data:, vbscript:, file:) is dropped, as is anything with control
 * characters or whitespace inside, which browsers strip before they read the scheme.
 */
export const safeHref = (href: string): string | undefined => {
  const candidate = href.trim();
  if (candidate === '' || /\s/.test(candidate) || [...candidate].some(isControl)) return undefined;
  // As a URL parser reads it: a colon before any '/', '?' or '#' ends a scheme.
  const scheme = /^([^/?#]*):/.exec(candidate)?.[1];
  if (scheme === undefined) return candidate;
  return /^https?$/i.test(scheme) ? candidate : undefined;
};
