import type { AwsSecurityFinding, ComplianceStatus, Partition, Resource, SeverityLabel } from '@aws-sdk/client-securityhub';
import { CHECKS, type CheckId } from '../audit/checks-catalogue.js';
import type { PreviousFinding } from '../audit/diff-findings.js';
import type { Finding, FindingStatus, FixRecord, ResourceType, Severity } from '../audit/finding.js';
import { parseKmsArn } from '../audit/key-arn.js';
import { PRODUCT } from '../product.js';

/**
 * Security Hub's bounds on what one import may carry (the API model's, in UTF-16 code units as Java
 * and JavaScript both count them). Where AWS writes "KB" or "MB" the smaller reading is taken.
 */
export const ASFF_LIMITS = Object.freeze({
  idChars: 512,
  titleChars: 256,
  descriptionChars: 1024,
  recommendationChars: 512,
  nameChars: 128,
  severityOriginalChars: 64,
  productFields: 50,
  productFieldKeyChars: 128,
  productFieldValueChars: 2048,
  relatedRequirements: 32,
  relatedRequirementChars: 256,
  resources: 32,
  findingsPerBatch: 100,
  batchBytes: 6_000_000,
  findingBytes: 240_000,
});

export const ASFF_SCHEMA_VERSION = '2018-10-08';

/** Every check is a configuration check against AWS's own guidance for S3 and KMS. */
export const ASFF_TYPES: readonly string[] = Object.freeze(['Software and Configuration Checks/AWS Security Best Practices']);

export interface AsffContext {
  /** The account importing: Security Hub accepts a finding only from the account it names. */
  readonly accountId: string;
  readonly partition: string;
  /** Where findings with no region of their own (account-level ones) are filed. */
  readonly homeRegion: string;
  /** This run's start, ISO. */
  readonly updatedAt: string;
}

/** A finding with no region (an account, a global resource) goes to the home region. */
export const asffRegionOf = (finding: { readonly region: string }, homeRegion: string): string =>
  finding.region.trim() === '' ? homeRegion : finding.region;

/** The custom-integration product every account has in every region: no partner registration needed. */
export const asffProductArn = (partition: string, region: string, accountId: string): string =>
  `arn:${partition}:securityhub:${region}:${accountId}:product/${accountId}/default`;

/**
 * Line terminators and other control characters, as spaces: the model's pattern for these strings
 * (`.*\S.*`) is checked by a service whose `.` does not match a line break.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it replaces
const oneLine = (text: string): string => text.replace(/[\u0000-\u001F\u007F\u0085\u2028\u2029]+/g, ' ');

const isBlank = (text: string): boolean => !/\S/.test(text);

/** At most `max` code units, ending in an ellipsis when cut; never half of a surrogate pair. */
export const truncateText = (text: string, max: number): string => {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
};

/** One line, within `max`, and never blank (`fallback` stands in: Security Hub refuses blank strings). */
const field = (text: string, max: number, fallback: string): string => {
  const line = oneLine(text);
  return truncateText(isBlank(line) ? fallback : line, max);
};

const DESCRIPTION_OBSERVED = 'Observed: ';
const DESCRIPTION_EXPECTED = '; expected: ';

/**
 * Observed, then expected, within the description's limit. When both do not fit, the shorter keeps
 * all of itself if it is under half, and the longer is cut: neither crowds the other out.
 */
const describe = (observed: string, expected: string): string => {
  const seen = field(observed, ASFF_LIMITS.descriptionChars, '(nothing recorded)');
  const wanted = field(expected, ASFF_LIMITS.descriptionChars, '(nothing recorded)');
  const budget = ASFF_LIMITS.descriptionChars - DESCRIPTION_OBSERVED.length - DESCRIPTION_EXPECTED.length;
  const half = Math.floor(budget / 2);
  let [first, second] = [seen, wanted];
  if (seen.length + wanted.length > budget) {
    if (seen.length <= half) second = truncateText(wanted, budget - seen.length);
    else if (wanted.length <= half) first = truncateText(seen, budget - wanted.length);
    else [first, second] = [truncateText(seen, half), truncateText(wanted, budget - half)];
  }
  return `${DESCRIPTION_OBSERVED}${first}${DESCRIPTION_EXPECTED}${second}`;
};

/** Whole items, comma-separated, then how many did not fit: a cut ARN would look like another resource. */
const listWithin = (items: readonly string[], max: number): string => {
  let text = '';
  for (const [index, item] of items.entries()) {
    const next = text === '' ? item : `${text}, ${item}`;
    const left = items.length - index - 1;
    const withRest = left > 0 ? `${next} (and ${left} more)` : next;
    if (withRest.length > max) return `${text}${text === '' ? '' : ' '}(and ${items.length - index} more)`;
    text = next;
  }
  return text;
};

/** Entries with something to say, one line each, within ProductFields' bounds. */
const productFields = (entries: readonly (readonly [string, string | undefined])[]): Record<string, string> =>
  Object.fromEntries(
    entries
      .filter((entry): entry is readonly [string, string] => entry[1] !== undefined && !isBlank(oneLine(entry[1])))
      .slice(0, ASFF_LIMITS.productFields)
      .map(([key, value]) => [truncateText(key, ASFF_LIMITS.productFieldKeyChars), truncateText(oneLine(value), ASFF_LIMITS.productFieldValueChars)]),
  );

const fixFields = (fix: FixRecord | undefined): (readonly [string, string | undefined])[] =>
  fix === undefined
    ? []
    : [
        ['fixAction', fix.action],
        ['fixOutcome', fix.outcome],
        ['fixBefore', fix.before],
        ['fixAfter', fix.after],
        ['fixError', fix.error],
      ];

const relatedFields = (related: readonly string[] | undefined): (readonly [string, string])[] => {
  const resources = (related ?? []).map(oneLine).filter((item) => !isBlank(item));
  if (resources.length === 0) return [];
  return [
    ['relatedResources', listWithin(resources, ASFF_LIMITS.productFieldValueChars)],
    ['relatedResourceCount', String(resources.length)],
  ];
};

/**
 * failed → FAILED; error → NOT_AVAILABLE (the check could not be made, which is what Security Hub's
 * own controls report for an API error); passed and fixed → PASSED; informational → PASSED, since it
 * marks a resource the check does not apply to (a key that cannot rotate): nothing to fix, and no
 * claim that a check failed or could not run.
 */
const COMPLIANCE: Readonly<Record<FindingStatus, ComplianceStatus>> = {
  failed: 'FAILED',
  error: 'NOT_AVAILABLE',
  fixed: 'PASSED',
  passed: 'PASSED',
  informational: 'PASSED',
};

/**
 * A failing finding carries its severity. Anything else is INFORMATIONAL, as Security Hub labels its
 * own passed control findings ("no issue was found"): a passed high-severity check must not count
 * among the high findings. `Original` keeps the check's own severity either way.
 */
const severityOf = (status: FindingStatus, severity: Severity): { Label: SeverityLabel; Original: string } => ({
  Label: status === 'failed' || status === 'error' ? (severity.toUpperCase() as SeverityLabel) : 'INFORMATIONAL',
  Original: truncateText(severity, ASFF_LIMITS.severityOriginalChars),
});

const relatedRequirements = (controls: readonly string[]): string[] =>
  controls
    .map(oneLine)
    .filter((control) => !isBlank(control))
    .slice(0, ASFF_LIMITS.relatedRequirements)
    .map((control) => truncateText(control, ASFF_LIMITS.relatedRequirementChars));

/**
 * CreatedAt is when the finding was first seen, UpdatedAt this run's start, and CreatedAt is never
 * after UpdatedAt. A first-seen time that cannot be read counts as this run: the finding is as new
 * as anything known about it.
 */
const timesOf = (firstSeen: string, updatedAt: string): { readonly createdAt: string; readonly updatedAt: string } => {
  const updated = Date.parse(updatedAt);
  if (Number.isNaN(updated)) throw new RangeError(`the run's start ${JSON.stringify(updatedAt)} is not an ISO time`);
  const first = Date.parse(firstSeen);
  const created = Number.isNaN(first) ? updated : Math.min(first, updated);
  return { createdAt: new Date(created).toISOString(), updatedAt: new Date(updated).toISOString() };
};

/**
 * Details only where the resource's own id states them: a key ARN names its key id. Anything more
 * (a bucket's owner, a key's state) would have to be guessed or looked up again.
 */
const resourceOf = (type: string, id: string, partition: string, region: string): Resource => {
  const key = type === 'AwsKmsKey' ? parseKmsArn(id) : undefined;
  return {
    Type: type,
    Id: id,
    Partition: partition as Partition,
    Region: region,
    ...(key?.resource === 'key' ? { Details: { AwsKmsKey: { KeyId: key.name } } } : {}),
  };
};

/** The resource type a previous report left out, from the form of the resource's id. */
const resourceTypeOfId = (id: string): ResourceType | 'Other' => {
  if (id.startsWith('AWS::::Account:')) return 'AwsAccount';
  if (/^arn:[^:]+:kms:/.test(id)) return 'AwsKmsKey';
  const s3 = /^arn:[^:]+:s3:::([^/]+)(\/.*)?$/.exec(id);
  if (s3) return s3[2] === undefined ? 'AwsS3Bucket' : 'AwsS3Object';
  return 'Other';
};

const controlsOfCheck = (check: string): readonly string[] => (Object.hasOwn(CHECKS, check) ? CHECKS[check as CheckId].controls : []);

interface AsffSubject {
  readonly id: string;
  readonly check: string;
  readonly severity: Severity;
  readonly status: FindingStatus;
  readonly resource: string;
  readonly resourceType: string;
  readonly region: string;
  readonly title: string;
  readonly observed: string;
  readonly expected: string;
  readonly remediation: string;
  readonly controls: readonly string[];
}

const asffOf = (
  subject: AsffSubject,
  firstSeen: string,
  context: AsffContext,
  record: { readonly state: 'ACTIVE' | 'ARCHIVED'; readonly fields: readonly (readonly [string, string | undefined])[] },
): AwsSecurityFinding => {
  const region = asffRegionOf(subject, context.homeRegion);
  const times = timesOf(firstSeen, context.updatedAt);
  const severity = severityOf(subject.status, subject.severity);
  const requirements = relatedRequirements(subject.controls);
  const remediation = oneLine(subject.remediation);
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: subject.id,
    ProductArn: asffProductArn(context.partition, region, context.accountId),
    // A custom integration may name itself; Security Hub would otherwise show "Default" and "Personal".
    ProductName: truncateText(PRODUCT.name, ASFF_LIMITS.nameChars),
    CompanyName: truncateText(PRODUCT.vendor, ASFF_LIMITS.nameChars),
    GeneratorId: subject.check,
    AwsAccountId: context.accountId,
    Types: [...ASFF_TYPES],
    CreatedAt: times.createdAt,
    UpdatedAt: times.updatedAt,
    FirstObservedAt: times.createdAt,
    // An archived finding was not observed this run.
    ...(record.state === 'ACTIVE' ? { LastObservedAt: times.updatedAt } : {}),
    Severity: severity,
    FindingProviderFields: { Severity: { ...severity }, Types: [...ASFF_TYPES] },
    Title: field(subject.title, ASFF_LIMITS.titleChars, subject.check),
    Description: describe(subject.observed, subject.expected),
    ...(isBlank(remediation) ? {} : { Remediation: { Recommendation: { Text: truncateText(remediation, ASFF_LIMITS.recommendationChars) } } }),
    ProductFields: productFields([
      ['ProviderName', PRODUCT.name],
      ['ProviderVersion', PRODUCT.version],
      ['check', subject.check],
      ['status', subject.status],
      ['observed', subject.observed],
      ['expected', subject.expected],
      ...record.fields,
    ]),
    Resources: [resourceOf(subject.resourceType, subject.resource, context.partition, region)],
    Compliance: { Status: COMPLIANCE[subject.status], ...(requirements.length > 0 ? { RelatedRequirements: requirements } : {}) },
    RecordState: record.state,
  };
};

/** This run's finding, as Security Hub keeps it: upserted by `Id`, newer by `UpdatedAt`. Never sets Workflow. */
export const toAsffFinding = (finding: Finding, firstSeen: string, context: AsffContext): AwsSecurityFinding =>
  asffOf(finding, firstSeen, context, { state: 'ACTIVE', fields: [...fixFields(finding.fix), ...relatedFields(finding.related)] });

/**
 * A finding of the previous run that this run did not produce (its resource or its check is gone),
 * sent once more as ARCHIVED so Security Hub hides it. Its compliance status is the one last known:
 * nothing was checked this run, so claiming PASSED would report a check that was never made, and
 * RecordState alone is what takes it out of view. Controls come from the check's catalogue entry;
 * a resource type the previous report did not keep is read from the form of the resource's id.
 */
export const archivedAsffFinding = (
  previous: PreviousFinding & { readonly resourceType?: ResourceType | undefined },
  firstSeen: string,
  context: AsffContext,
): AwsSecurityFinding =>
  asffOf(
    {
      ...previous,
      resourceType: previous.resourceType ?? resourceTypeOfId(previous.resource),
      controls: controlsOfCheck(previous.check),
    },
    firstSeen,
    context,
    { state: 'ARCHIVED', fields: [['archivedBecause', 'not produced by this run: the resource or its check is gone']] },
  );
