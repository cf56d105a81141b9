import { auditedBucket, bucketRequirement, requiredKeyInRegion, type AuditContext, type RegionalRequiredKey, type RequiredBucket } from '../../shared/audit/audit-context.js';
import type { AuditFacts } from '../../shared/audit/audit-facts.js';
import { compareFindings, type AccountFinding, type Finding } from '../../shared/audit/finding.js';
import { bucketKeyReferences, policyKeyReferences } from '../../shared/audit/key-references.js';
import { planFixes, planFixesFor, withFixResults, type FixResult } from '../../shared/audit/plan-fixes.js';
import { checkBuckets, keyFindings } from '../../shared/audit/run-checks.js';
import { forEachBoundedInOrder } from '../../shared/core/run-bounded.js';
import type { ListedBucket } from '../../shared/ports/bucket-inspector.js';
import { applyFixes, type FixWriters } from './apply-fixes.js';
import { gatherBucket, KeyLookups, type FactSources } from './gather-facts.js';

/** Hands each finding on as the scan makes it: to the run's ledger and report, never kept here. */
export type FindingSink = (finding: AccountFinding) => void;

export interface ScanRecorder {
  factsGathered(counts: { accountId: string; buckets: number; unreachable: number; exempt: number; keys: number }): void;
  fixAttempted(result: FixResult): void;
}

/** One account, read (and fixed, where POLICY allows) with that account's own clients. */
export interface AccountScanDependencies {
  readonly sources: FactSources;
  readonly writers: FixWriters;
  readonly recorder: ScanRecorder;
  /** `context.accountId` is the account scanned. */
  readonly context: AuditContext;
}

/** What a scan leaves behind besides its findings: counts, and the required key where the run lives. */
export interface AccountScan {
  readonly accountId: string;
  readonly buckets: number;
  readonly unreachable: number;
  readonly exemptBuckets: readonly string[];
  readonly keys: number;
  /** The required key in the home region, as this account resolves it. */
  readonly requiredKey: RegionalRequiredKey;
}

interface InspectedBucket {
  readonly unreachable: boolean;
  readonly findings: readonly Finding[];
}

interface ListedForAudit {
  readonly listed: ListedBucket;
  readonly requirement: RequiredBucket;
}

/**
 * One bucket: its facts, the keys they name, its checks and the fixes POLICY allows. Its
 * requirement was worked out when it was listed, its regional key once its keys are known.
 */
const scanBucket = async (deps: AccountScanDependencies, lookups: KeyLookups, { listed, requirement }: ListedForAudit): Promise<InspectedBucket> => {
  const { context } = deps;
  const bucket = await gatherBucket(deps.sources, listed, context);
  await lookups.resolve(bucketKeyReferences(bucket, requirement, lookups.known, context));
  const audited = [auditedBucket(bucket, requirement, lookups.known, context)];
  const checked = checkBuckets(audited, lookups.known, context);
  const fixes = await applyFixes(planFixesFor(checked, audited, lookups.known, context), deps.writers, 1);
  fixes.forEach((result) => deps.recorder.fixAttempted(result));
  return { unreachable: bucket.kind === 'unreachable', findings: withFixResults(checked, fixes) };
};

/**
 * Every bucket of one account as a stream — facts → checks → fixes → each finding to the sink, then
 * dropped — and the keys the buckets named last. Memory holds the buckets in flight, not the account.
 * The sink is asked for once the first page of buckets is listed: a run can read its previous state
 * meanwhile. A failure to list the buckets is thrown; anything else becomes an error finding.
 */
export const scanAccount = async (deps: AccountScanDependencies, openSink: () => Promise<FindingSink>): Promise<AccountScan> => {
  const { context, sources } = deps;
  // Buckets a page at a time, the next page asked for while this one is scanned: memory holds one page.
  const pages = sources.buckets.bucketPages()[Symbol.asyncIterator]();
  const nextPage = (): Promise<IteratorResult<readonly ListedBucket[]>> => {
    const next = pages.next();
    next.catch(() => undefined); // awaited below; a failure is thrown there
    return next;
  };
  let page = await nextPage();

  const lookups = new KeyLookups(sources);
  await lookups.resolve(policyKeyReferences(context.policy, context.homeRegion), sources.concurrency);
  const sink = await openSink();
  const record = (finding: Finding): void => sink({ accountId: context.accountId, ...finding });

  const exemptBuckets: string[] = [];
  let buckets = 0;
  let unreachable = 0;
  while (!page.done) {
    const following = nextPage();
    const audited = page.value.flatMap((listed): ListedForAudit[] => {
      const requirement = bucketRequirement(context.policy, listed.name);
      if (requirement.kind === 'required') return [{ listed, requirement }];
      exemptBuckets.push(listed.name);
      return [];
    });
    buckets += audited.length;
    await forEachBoundedInOrder(
      audited,
      sources.concurrency,
      (bucket) => scanBucket(deps, lookups, bucket),
      (bucket) => {
        if (bucket.unreachable) unreachable += 1;
        bucket.findings.forEach(record);
      },
    );
    page = await following;
  }

  const keyFacts: AuditFacts = { buckets: [], exemptBuckets, keyReferences: lookups.namedReferences(), keys: lookups.known };
  const keyChecked = keyFindings(keyFacts, context).sort(compareFindings);
  const keyFixes = await applyFixes(planFixes(keyChecked, keyFacts, context), deps.writers, sources.concurrency);
  keyFixes.forEach((result) => deps.recorder.fixAttempted(result));
  withFixResults(keyChecked, keyFixes).forEach(record);
  const keys = new Set([...lookups.known.values()].flatMap((lookup) => (lookup.kind === 'found' ? [lookup.key.arn] : []))).size;
  deps.recorder.factsGathered({ accountId: context.accountId, buckets, unreachable, exempt: exemptBuckets.length, keys });

  return {
    accountId: context.accountId,
    buckets,
    unreachable,
    exemptBuckets,
    keys,
    requiredKey: requiredKeyInRegion(lookups.known, context.homeRegion, context.policy.requiredKey, context.homeRegion),
  };
};
