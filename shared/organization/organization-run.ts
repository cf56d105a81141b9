import { runIdentity } from '../audit/audit-report.js';

/** One night's organization audit: every account's report shares its run id. */
export interface OrganizationRun {
  /** Compact and sortable: `2026-11-22T030000Z`. */
  readonly runId: string;
  readonly runDate: string;
  readonly startedAt: string;
}

export const organizationRun = (startedAt: Date): OrganizationRun => runIdentity(startedAt);

/**
 * Where one run keeps its working files in the reports bucket, beside the accounts' own reports
 * (`<prefix><account>/<date>/…`): the accounts listed, the accounts for the Map to read, each
 * account's result, the Map's own results and the organization report.
 */
export const organizationRunLayout = (prefix: string, run: Pick<OrganizationRun, 'runId' | 'runDate'>) => {
  const base = `${prefix}organization/${run.runDate}/${run.runId}/`;
  return {
    base,
    /** Every account listed, one JSON line each, in the order ListAccounts gave them. */
    listingKey: `${base}listing.jsonl`,
    /** The accounts to audit as one JSON array: the Distributed Map's ItemReader input. */
    accountsKey: `${base}accounts.json`,
    accountResultKey: (accountId: string): string => `${base}accounts/${accountId}.json`,
    /** The Distributed Map's ResultWriter output. */
    mapResultsPrefix: `${base}map-results`,
    reportJsonKey: `${base}organization-audit-${run.runId}.json`,
    reportMarkdownKey: `${base}organization-audit-${run.runId}.md`,
    /** The organization's page: a row per account, linking to each account's own page. */
    reportHtmlKey: `${base}organization-audit-${run.runId}.html`,
  } as const;
};

export type OrganizationRunLayout = ReturnType<typeof organizationRunLayout>;

const RUN_ID = /^\d{4}-\d{2}-\d{2}T\d{6}Z$/;

/** A run as it travels between the steps: checked, since a malformed one would file reports anywhere. */
export const parseOrganizationRun = (value: unknown): OrganizationRun => {
  const run = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const { runId, runDate, startedAt } = run;
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw new Error(`run.runId must look like 2026-11-22T030000Z, not ${JSON.stringify(runId)}`);
  if (typeof startedAt !== 'string' || Number.isNaN(Date.parse(startedAt))) throw new Error(`run.startedAt must be an ISO date, not ${JSON.stringify(startedAt)}`);
  const identity = runIdentity(new Date(startedAt));
  if (identity.runId !== runId || (runDate !== undefined && runDate !== identity.runDate)) {
    throw new Error(`run.runId ${runId} does not match run.startedAt ${startedAt}`);
  }
  return identity;
};
