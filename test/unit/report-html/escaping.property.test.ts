// Whatever text findings, runs and accounts carry, it reaches the page as text: the page's markup
// (every `<`, `>` and quote) is the renderer's own, the same as for text with none of them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildReportHeader, type ReportHeader } from '../../../shared/audit/audit-report.js';
import { CHECK_IDS } from '../../../shared/audit/checks-catalogue.js';
import { diffFindings, type FindingChanges } from '../../../shared/audit/diff-findings.js';
import { FINDING_STATUSES, SEVERITIES, type Finding } from '../../../shared/audit/finding.js';
import { NOT_AUDITED_REASON_CODES } from '../../../shared/organization/not-audited-reason.js';
import { escapeHtml } from '../../../shared/report-html/html-escape.js';
import { accountHtmlClosing, accountHtmlOpening, resourceBlock } from '../../../shared/report-html/render-account-html.js';
import { renderOrganizationHtml, type OrganizationHtmlAccount } from '../../../shared/report-html/render-organization-html.js';
import type { TrendPoint } from '../../../shared/report-html/trend-chart.js';
import { countFindings, previousOf } from '../../fixtures/whole-report.js';
import { ORGANIZATION_RUN, inertProblems, occurrences, organizationSummary, trendPoints } from './fixtures.js';
import { renderTrend } from '../../../shared/report-html/trend-chart.js';

/** Markup's characters, each swapped for a private-use character no generated text contains. */
const STAND_INS: Readonly<Record<string, string>> = { '<': '\uE000', '>': '\uE001', '"': '\uE002', "'": '\uE003' };
const MARKUP_CHARACTERS = Object.keys(STAND_INS);

/** The same input with no markup characters in its text: one-to-one, so every comparison the renderer makes comes out the same. */
const withoutMarkupCharacters = <T>(value: T): T => {
  if (typeof value === 'string') return value.replace(/[<>"']/g, (character) => STAND_INS[character] ?? character) as T;
  if (Array.isArray(value)) return value.map(withoutMarkupCharacters) as T;
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutMarkupCharacters(item)])) as T;
  return value;
};

const character = fc.oneof(
  fc.constantFrom('<', '>', '"', "'", '&', '=', ' ', '/', ':', '\n'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((text) => !Object.values(STAND_INS).includes(text)),
);
/** Text with markup in it: it always holds a `<`. */
const text = fc.string({ unit: character, maxLength: 40 }).map((value) => `<${value}`);

const findingOf = (resource: string): fc.Arbitrary<Finding> =>
  fc.record({
    id: text,
    check: fc.oneof(fc.constantFrom(...CHECK_IDS), text),
    severity: fc.constantFrom(...SEVERITIES),
    status: fc.constantFrom(...FINDING_STATUSES),
    resource: fc.constant(resource),
    resourceType: fc.constantFrom('AwsS3Bucket' as const, 'AwsKmsKey' as const, 'AwsS3Object' as const),
    region: text,
    title: text,
    observed: text,
    expected: text,
    remediation: text,
    controls: fc.array(text, { maxLength: 2 }),
    fix: fc.option(
      fc.record({ action: fc.constantFrom('PutBucketEncryption' as const, 'EnableKeyRotation' as const), before: text, after: text, outcome: fc.constantFrom('applied' as const, 'failed' as const), error: fc.option(text, { nil: undefined }) }),
      { nil: undefined },
    ),
  });

const accountInput = text.chain((resource) =>
  fc.record({
    findings: fc.array(findingOf(resource), { minLength: 1, maxLength: 4 }),
    gone: findingOf(`${resource}-gone`),
    run: fc.record({ runId: text, runDate: text, startedAt: text, accountId: text, region: text, requiredKey: fc.record({ reference: text, arn: fc.option(text, { nil: undefined }) }) }),
    exemptBuckets: fc.array(text, { maxLength: 3 }),
    runIds: fc.array(text, { minLength: 0, maxLength: 3 }),
  }),
);

interface AccountPageInput {
  readonly header: ReportHeader;
  readonly changes: FindingChanges;
  readonly trend: readonly TrendPoint[];
  readonly findings: readonly Finding[];
}

const accountPage = ({ header, changes, trend, findings }: AccountPageInput): string =>
  accountHtmlOpening(header, changes, renderTrend(trend)) + resourceBlock(findings) + accountHtmlClosing(findings, header.scope.exemptBuckets);

const expectSameMarkup = (page: string, reference: string): void => {
  for (const markupCharacter of MARKUP_CHARACTERS) expect(occurrences(page, markupCharacter)).toBe(occurrences(reference, markupCharacter));
};

describe('text in the HTML report', () => {
  it('never adds markup to an account page', () => {
    fc.assert(
      fc.property(accountInput, ({ findings, gone, run, exemptBuckets, runIds }) => {
        const [first] = findings as [Finding];
        // The previous night: the first finding failing with another observation, and a finding now gone.
        const previous = [{ ...previousOf(first), status: 'failed' as const, observed: `${first.observed}!` }, { ...previousOf(gone), status: 'failed' as const }];
        const changes = diffFindings(findings, previous);
        const header = buildReportHeader({ run, counts: countFindings(findings), changes, buckets: 1, exemptBuckets, keys: 1 });
        const trend = trendPoints(runIds.length).map((point, index) => ({ ...point, runId: runIds[index] ?? point.runId }));
        const input: AccountPageInput = { header, changes, trend, findings };

        const page = accountPage(input);
        expectSameMarkup(page, accountPage(withoutMarkupCharacters(input)));
        expect(inertProblems(page)).toEqual([]);
        for (const finding of findings) {
          for (const value of [finding.resource, finding.observed, finding.expected, finding.title, finding.remediation, finding.id]) expect(page).toContain(escapeHtml(value));
        }
      }),
    );
  });

  it('never adds markup to the organization page, nor a link that is not http(s) or relative', () => {
    const account = fc.record({
      accountId: text,
      name: text,
      status: fc.constantFrom('audited' as const, 'not-audited' as const, 'skipped' as const),
      reason: fc.option(text, { nil: undefined }),
      reasonCode: fc.option(fc.constantFrom(...NOT_AUDITED_REASON_CODES), { nil: undefined }),
      failing: fc.option(fc.nat(50), { nil: undefined }),
      regionsWithoutEnforcer: fc.option(fc.array(text, { maxLength: 2 }), { nil: undefined }),
      href: fc.option(fc.oneof(text, text.map((value) => `javascript:${value}`), text.map((value) => `https://example.com/${value}`)), { nil: undefined }),
    });
    const change = fc.record({
      change: fc.constantFrom('new' as const, 'changed' as const),
      accountId: text,
      id: text,
      check: text,
      severity: fc.constantFrom(...SEVERITIES),
      status: fc.constantFrom(...FINDING_STATUSES),
      resource: text,
      region: text,
      observed: text,
    });
    fc.assert(
      fc.property(fc.array(account, { maxLength: 6 }), fc.array(change, { maxLength: 3 }), text, (accounts: OrganizationHtmlAccount[], changes, runId) => {
        const input = { run: { ...ORGANIZATION_RUN, runId }, summary: organizationSummary(), accounts, changes };
        // The trend is markup already drawn: it is the same on both sides, never text to escape.
        const trendMarkup = renderTrend(trendPoints(2));
        const page = renderOrganizationHtml({ ...input, trendMarkup });
        expectSameMarkup(page, renderOrganizationHtml({ ...withoutMarkupCharacters(input), trendMarkup }));
        expect(inertProblems(page)).toEqual([]);
        expect(page).not.toMatch(/href="javascript/i);
        for (const item of accounts) expect(page).toContain(escapeHtml(item.name));
      }),
    );
  });
});
