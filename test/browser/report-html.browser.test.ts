// The HTML reports in a real Chromium: they render, load nothing, run nothing, break no policy, and
// show hostile object keys as text.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountHtmlClosing, accountHtmlOpening, resourceBlock } from '../../shared/report-html/render-account-html.js';
import { renderOrganizationHtml } from '../../shared/report-html/render-organization-html.js';
import { CHROMIUM_INSTALL_HINT, findChromium, openPage, type OpenedPage } from '../support/chromium.js';
import {
  HOSTILE_BUCKET,
  HOSTILE_OBJECT,
  ORGANIZATION_RUN,
  accountReport,
  byResource,
  organizationAccount,
  organizationSummary,
  trendPoints,
} from '../unit/report-html/fixtures.js';
import { renderTrend } from '../../shared/report-html/trend-chart.js';

const SCREENSHOTS = join('test-results', 'report-html');

const executablePath = findChromium();
const required = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';

if (executablePath === undefined && !required) {
  // eslint-disable-next-line no-console -- one visible line: the browser tests are skipped on this machine
  console.warn(`report-html browser tests skipped: Chromium not found: ${CHROMIUM_INSTALL_HINT}`);
}

const accountPage = (): string => {
  const { header, changes, findings } = accountReport();
  return (
    accountHtmlOpening(header, changes, renderTrend(trendPoints(3))) +
    byResource(findings).map(resourceBlock).join('') +
    accountHtmlClosing(findings, header.scope.exemptBuckets)
  );
};

const organizationPage = (): string =>
  renderOrganizationHtml({
    run: ORGANIZATION_RUN,
    summary: organizationSummary(),
    accounts: [
      organizationAccount('111111111111', { failing: 3, failingBySeverity: { critical: 1, high: 2, medium: 0, low: 0, informational: 0 } }),
      organizationAccount('222222222222', { status: 'not-audited', reasonCode: 'role-not-assumable', reason: 'AccessDenied <on> AssumeRole', failing: undefined, failingBySeverity: undefined }),
      organizationAccount('333333333333', { name: 'javascript link', href: 'javascript:alert(1)' }),
      organizationAccount('444444444444', { status: 'skipped', name: 'suspended', reason: 'SUSPENDED' }),
    ],
    changes: [
      { change: 'new', accountId: '111111111111', id: 'x/1', check: 's3-default-encryption-kms', severity: 'critical', status: 'failed', resource: HOSTILE_OBJECT, region: 'us-east-1', observed: '<script>1</script>' },
    ],
    trendMarkup: renderTrend(trendPoints(3)),
  });

/** A `<details>` element's `open` property, read in the page. */
const isOpen = (element: unknown): boolean => (element as { open: boolean }).open;

/** What every report page must be in a browser: quiet, self-contained, free of active content. */
const expectSelfContained = async (opened: OpenedPage): Promise<void> => {
  expect(opened.problems()).toEqual([]);
  expect(opened.console.filter((entry) => entry.text.includes('Content Security Policy'))).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
  expect(opened.requests).toEqual([opened.url]);
  expect(opened.otherRequests()).toEqual([]);
  expect(await opened.page.locator('img, script, iframe, object, embed').count()).toBe(0);
};

const expectChart = async (opened: OpenedPage, points: number): Promise<void> => {
  const svg = opened.page.locator('svg.trend-chart');
  await expect.poll(() => svg.isVisible()).toBe(true);
  const box = await svg.boundingBox();
  expect(box?.width ?? 0).toBeGreaterThan(0);
  expect(box?.height ?? 0).toBeGreaterThan(0);
  expect(await opened.page.locator('svg.trend-chart circle.trend-point').count()).toBe(points);
  for (const layer of await opened.page.locator('svg.trend-chart path.area').all()) expect((await layer.boundingBox())?.width ?? 0).toBeGreaterThan(0);
};

describe.skipIf(executablePath === undefined && !required)('the HTML reports in Chromium', () => {
  beforeAll(async () => {
    if (executablePath === undefined) throw new Error(`Chromium is required when CI is set: ${CHROMIUM_INSTALL_HINT}`);
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  describe('an account page', () => {
    let opened: OpenedPage;
    beforeAll(async () => {
      opened = await openPage(accountPage(), { executablePath, fileName: 'account.html' });
    });
    afterAll(async () => {
      await opened?.close();
    });

    it('loads nothing, runs nothing and breaks no policy', async () => {
      await expectSelfContained(opened);
    });

    it('draws the trend of three runs', async () => {
      await expectChart(opened, 3);
    });

    it('shows object keys and observations that look like markup as text', async () => {
      const text = await opened.page.locator('main').innerText();
      expect(text).toContain(HOSTILE_OBJECT);
      expect(text).toContain(HOSTILE_BUCKET);
      expect(text).toContain('<script>alert("x")</script>');
      expect(await opened.page.locator('main b, main u, main i').count()).toBe(0);
    });

    it('opens a closed resource when its summary is clicked', async () => {
      const closed = opened.page.locator('details.resource', { hasText: 'arn:aws:s3:::logs' });
      expect(await closed.evaluate(isOpen)).toBe(false);
      expect(await closed.locator('table').isVisible()).toBe(false);
      await closed.locator('summary').click();
      expect(await closed.evaluate(isOpen)).toBe(true);
      expect(await closed.locator('table').isVisible()).toBe(true);
    });

    it('opens failing resources from the start', async () => {
      const open = await opened.page.locator('details.resource[open] > summary code').allInnerTexts();
      expect(open).toEqual(expect.arrayContaining([HOSTILE_BUCKET, HOSTILE_OBJECT]));
    });

    it('prints the contents of closed resources too', async () => {
      const closed = opened.page.locator('details.resource', { hasText: 'kms-key-rotation' });
      expect(await closed.evaluate(isOpen)).toBe(false);
      await opened.page.emulateMedia({ media: 'print' });
      expect(await closed.locator('table').isVisible()).toBe(true);
      await opened.page.emulateMedia({ media: 'screen' });
      expect(await closed.locator('table').isVisible()).toBe(false);
    });

    it('saves a screenshot', async () => {
      await opened.page.screenshot({ path: join(SCREENSHOTS, 'account.png'), fullPage: true });
    });
  });

  describe('an organization page', () => {
    let opened: OpenedPage;
    beforeAll(async () => {
      opened = await openPage(organizationPage(), { executablePath, fileName: 'organization.html' });
    });
    afterAll(async () => {
      await opened?.close();
    });

    it('loads nothing, runs nothing and breaks no policy', async () => {
      await expectSelfContained(opened);
    });

    it('draws the trend of three runs', async () => {
      await expectChart(opened, 3);
    });

    it('lists the account not audited first and links accounts to their pages, never to script', async () => {
      const rows = await opened.page.locator('table.accounts tbody tr td:first-child').allInnerTexts();
      expect(rows).toEqual(['222222222222', '111111111111', '333333333333']);
      const hrefs = await opened.page.locator('table.accounts a').evaluateAll((links) => links.map((link) => link.getAttribute('href')));
      expect(hrefs).toHaveLength(2);
      expect(hrefs.every((href) => href !== null && !href.includes('javascript'))).toBe(true);
      expect(await opened.page.locator('main').innerText()).toContain(HOSTILE_OBJECT);
    });

    it('opens the skipped accounts when their summary is clicked', async () => {
      const skipped = opened.page.locator('details.skipped');
      expect(await skipped.evaluate(isOpen)).toBe(false);
      await skipped.locator('summary').click();
      expect(await skipped.evaluate(isOpen)).toBe(true);
      expect(await skipped.innerText()).toContain('444444444444');
    });

    it('saves a screenshot', async () => {
      await opened.page.screenshot({ path: join(SCREENSHOTS, 'organization.png'), fullPage: true });
    });
  });
});
