/**
 * IAM's wildcards: `*` matches any run of characters (also none), `?` exactly one. Action names
 * compare case-insensitively, ARNs case-sensitively. Matching runs over sets of pattern positions,
 * so a pattern is never turned into a regular expression (no escaping, no backtracking blow-up).
 */
export interface GlobOptions {
  readonly caseInsensitive?: boolean;
}

type States = Set<number>;

/** Positions reachable without reading: a `*` may match nothing. */
const close = (pattern: string, states: Iterable<number>): States => {
  const closed = new Set<number>();
  for (let position of states) {
    closed.add(position);
    while (pattern[position] === '*') closed.add(++position);
  }
  return closed;
};

const step = (pattern: string, states: States, char: string): States => {
  const next: number[] = [];
  for (const position of states) {
    const token = pattern[position];
    if (token === undefined) continue;
    if (token === '*') next.push(position);
    else if (token === '?' || token === char) next.push(position + 1);
  }
  return close(pattern, next);
};

const prepare = (pattern: string, text: string, options: GlobOptions): [string, string] =>
  options.caseInsensitive ? [pattern.toLowerCase(), text.toLowerCase()] : [pattern, text];

/** The whole of `text` matches `pattern`. */
export const globMatches = (pattern: string, text: string, options: GlobOptions = {}): boolean => {
  const [p, t] = prepare(pattern, text, options);
  let states = close(p, [0]);
  for (const char of t) {
    states = step(p, states, char);
    if (states.size === 0) return false;
  }
  return states.has(p.length);
};

/** Some string that starts with `prefix` matches `pattern`. */
export const globMatchesSomeExtension = (pattern: string, prefix: string, options: GlobOptions = {}): boolean => {
  const [p, t] = prepare(pattern, prefix, options);
  let states = close(p, [0]);
  for (const char of t) {
    states = step(p, states, char);
    if (states.size === 0) return false;
  }
  return true;
};

const onlyStarsLeft = (pattern: string, position: number): boolean =>
  position < pattern.length && [...pattern.slice(position)].every((char) => char === '*');

/** Every string that starts with `prefix` matches `pattern` (for example `s3:*` and `s3:`). */
export const globMatchesEveryExtension = (pattern: string, prefix: string, options: GlobOptions = {}): boolean => {
  const [p, t] = prepare(pattern, prefix, options);
  let states = close(p, [0]);
  if ([...states].some((position) => onlyStarsLeft(p, position))) return true;
  for (const char of t) {
    states = step(p, states, char);
    if (states.size === 0) return false;
    if ([...states].some((position) => onlyStarsLeft(p, position))) return true;
  }
  return false;
};
