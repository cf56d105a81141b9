// A real Chromium for tests of what people open in a browser: the system's Chromium (Debian's
// `apt-get install -y chromium`), driven by playwright-core, with a fresh profile every time.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] as const;

export const CHROMIUM_INSTALL_HINT = 'apt-get install -y chromium, or set CHROMIUM_PATH to a Chromium executable';

/**
 * The Chromium to drive. `CHROMIUM_PATH`, when set, is the one answer: a path that is not there means
 * no Chromium (a stale setting is reported, not quietly replaced by another browser).
 */
export const findChromium = (env: NodeJS.ProcessEnv = process.env, candidates: readonly string[] = CHROMIUM_CANDIDATES): string | undefined => {
  const configured = env['CHROMIUM_PATH'];
  if (configured !== undefined && configured !== '') return existsSync(configured) ? configured : undefined;
  return candidates.find((candidate) => existsSync(candidate));
};

export interface ConsoleEntry {
  readonly type: string;
  readonly text: string;
}

export interface OpenPageOptions {
  /** Defaults to `findChromium()`. */
  readonly executablePath?: string | undefined;
  /** Off by default: a report must work without script, so tests read it as such a reader would. */
  readonly javaScriptEnabled?: boolean | undefined;
  readonly viewport?: { readonly width: number; readonly height: number } | undefined;
  /** The page's file name in its temporary folder. */
  readonly fileName?: string | undefined;
}

export interface OpenedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** The document's own URL (file://…). */
  readonly url: string;
  /** Every console message, CSP violations included (errors mentioning "Content Security Policy"). */
  readonly console: readonly ConsoleEntry[];
  /** Uncaught page errors. */
  readonly pageErrors: readonly string[];
  /** Every request the page made, the document's own first: anything else is an external resource. */
  readonly requests: readonly string[];
  /** Requests other than the document itself. */
  otherRequests(): string[];
  /** Console errors and warnings, CSP violations among them. */
  problems(): ConsoleEntry[];
  close(): Promise<void>;
}

/**
 * Opens `html` as a file in a fresh Chromium profile and records what the page logs and requests.
 * The page is loaded from a file:// URL, as a downloaded report is.
 */
export const openPage = async (html: string, options: OpenPageOptions = {}): Promise<OpenedPage> => {
  const executablePath = options.executablePath ?? findChromium();
  if (executablePath === undefined) throw new Error(`Chromium not found: ${CHROMIUM_INSTALL_HINT}`);
  const folder = await mkdtemp(join(tmpdir(), 'report-page-'));
  const profile = join(folder, 'profile');
  const file = join(folder, options.fileName ?? 'page.html');
  await writeFile(file, html, 'utf8');
  const url = pathToFileURL(file).href;

  const consoleEntries: ConsoleEntry[] = [];
  const pageErrors: string[] = [];
  const requests: string[] = [];
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      javaScriptEnabled: options.javaScriptEnabled ?? false,
      viewport: options.viewport ? { ...options.viewport } : { width: 1280, height: 900 },
    });
    context.on('request', (request) => requests.push(request.url()));
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => consoleEntries.push({ type: message.type(), text: message.text() }));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url, { waitUntil: 'load' });
    const opened = context;
    return {
      page,
      context: opened,
      url,
      console: consoleEntries,
      pageErrors,
      requests,
      otherRequests: () => requests.filter((request) => request !== url),
      problems: () => consoleEntries.filter((entry) => entry.type === 'error' || entry.type === 'warning'),
      close: async () => {
        await opened.close();
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close();
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
};
