/**
 * The organization's HTML page read as its reader sees it, without a browser: the policy the page
 * declares, the accounts table's rows in the order shown, and the accounts listed as skipped. The
 * page is the product's own markup (every attribute quoted, one row a line), so a few patterns
 * read it; a page they cannot read fails the test rather than passing it.
 */

export interface OrganizationPageRow {
  readonly accountId: string;
  /** The link on the account id, as written (entities decoded); none when the account has no page. */
  readonly href: string | undefined;
  readonly name: string;
  /** `audited` or `not audited`, as shown. */
  readonly status: string;
  /** The severity badge of the worst failure, if any. */
  readonly worst: string | undefined;
  /** The failing count shown, if any. */
  readonly failing: number | undefined;
}

const ENTITIES: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const decode = (text: string): string => text.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
const textOf = (markup: string): string => decode(markup.replace(/<[^>]*>/g, '')).trim();

/** The `content` of the page's Content-Security-Policy meta, or undefined when it has none. */
export const contentSecurityPolicyOf = (page: string): string | undefined => {
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/i.exec(page);
  return meta?.[1] === undefined ? undefined : decode(meta[1]);
};

const tableBody = (page: string): string => {
  const table = /<table class="accounts">[\s\S]*?<tbody>([\s\S]*?)<\/tbody><\/table>/.exec(page);
  if (!table?.[1]) throw new Error('the page has no accounts table');
  return table[1];
};

/** The accounts table's rows, top to bottom. */
export const accountRowsOf = (page: string): OrganizationPageRow[] =>
  [...tableBody(page).matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map(([row, inner]) => {
    const cells = [...(inner ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1] ?? '');
    const [account = '', name = '', status = '', worst = '', failing = ''] = cells;
    const link = /^<a href="([^"]*)">([^<]*)<\/a>$/.exec(account);
    const accountId = link ? textOf(link[2] ?? '') : textOf(account);
    if (!/^\d{12}$/.test(accountId)) throw new Error(`a row of the accounts table names no account: ${row}`);
    return {
      accountId,
      href: link?.[1] === undefined ? undefined : decode(link[1]),
      name: textOf(name),
      status: textOf(status),
      worst: textOf(worst) || undefined,
      failing: textOf(failing) === '' ? undefined : Number(textOf(failing)),
    };
  });

/** The accounts under "Skipped", with their ids. */
export const skippedAccountsOf = (page: string): string[] => {
  const skipped = /<details class="skipped">([\s\S]*?)<\/details>/.exec(page);
  if (!skipped?.[1]) return [];
  return [...skipped[1].matchAll(/<li><code>(\d{12})<\/code>/g)].map((match) => match[1] ?? '');
};
