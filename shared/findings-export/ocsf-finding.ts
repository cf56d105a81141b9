import { isFailing, type AccountFinding, type FindingStatus, type FixRecord, type ResourceType, type Severity } from '../audit/finding.js';
import { PRODUCT } from '../product.js';

/**
 * The OCSF release every event follows (schema.ocsf.io, github.com/ocsf/ocsf-schema tag 1.8.0).
 * The events carry every attribute the class requires in 1.3.0 and later, `compliance.standards` included.
 */
export const OCSF_SCHEMA_VERSION = '1.8.0';

/** Findings category (2), Compliance Finding class (3): events/findings/compliance_finding.json. */
export const OCSF_CATEGORY_UID = 2;
export const OCSF_CLASS_UID = 2003;

export interface OcsfContext {
  /** The audited accounts' partition: `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  /** This run's start, ms since the epoch: each event's time, and when each finding was last seen. */
  readonly time: number;
}

type OcsfSeverityId = 1 | 2 | 3 | 4 | 5;
type OcsfSeverity = 'Informational' | 'Low' | 'Medium' | 'High' | 'Critical';
type OcsfActivity = { readonly id: 1; readonly name: 'Create' } | { readonly id: 2; readonly name: 'Update' };
type OcsfComplianceStatus = { readonly id: 1; readonly name: 'Pass' } | { readonly id: 2; readonly name: 'Warning' } | { readonly id: 3; readonly name: 'Fail' };
type OcsfFindingStatus = { readonly id: 1; readonly name: 'New' } | { readonly id: 4; readonly name: 'Resolved' };

/** The check as its own definition has it: its severity stays here when the event's is Informational. */
export interface OcsfCheck {
  readonly uid: string;
  readonly name: string;
  readonly severity: Severity;
  readonly severity_id: OcsfSeverityId;
  readonly standards: readonly string[];
  readonly status_id: OcsfComplianceStatus['id'];
  readonly status: OcsfComplianceStatus['name'];
}

export interface OcsfCompliance {
  /** The product's own checks are the standard evaluated; the public controls they correspond to are `requirements`. */
  readonly standards: readonly string[];
  /** The check id. */
  readonly control: string;
  /** The criterion: what the check expects. */
  readonly desc: string;
  readonly requirements: readonly string[];
  readonly status_id: OcsfComplianceStatus['id'];
  readonly status: OcsfComplianceStatus['name'];
  /** The finding's own status: `failed`, `error`, `fixed`, `passed`, `informational`. */
  readonly status_code: FindingStatus;
  readonly status_details: readonly string[];
  readonly checks: readonly [OcsfCheck];
}

export interface OcsfFindingInfo {
  /** The finding id: the same check of the same resource has the same uid every night. */
  readonly uid: string;
  readonly title: string;
  readonly desc: string;
  readonly types: readonly string[];
  readonly analytic: { readonly uid: string; readonly name: string; readonly type_id: 1; readonly type: 'Rule' };
  readonly first_seen_time?: number;
  readonly last_seen_time: number;
}

export interface OcsfCloud {
  readonly provider: 'AWS';
  readonly cloud_partition: string;
  readonly region: string;
  readonly account: { readonly uid: string; readonly type_id: 10; readonly type: 'AWS Account' };
}

export interface OcsfResource {
  /** The resource ARN (`AWS::::Account:<id>` for an account). */
  readonly uid: string;
  readonly type: ResourceType;
  readonly region: string;
  readonly cloud_partition: string;
  readonly role_id: 1;
  readonly role: 'Target';
}

export interface OcsfObservable {
  readonly name: 'resources[0].uid' | 'cloud.account.uid';
  /** 10: resource_uid_t (dictionary.json); 35: account.uid (objects/account.json). */
  readonly type_id: 10 | 35;
  readonly value: string;
}

export interface OcsfMetadata {
  readonly version: typeof OCSF_SCHEMA_VERSION;
  readonly product: { readonly name: string; readonly vendor_name: string; readonly version: string };
  readonly profiles: readonly ['cloud'];
  /** The check id. */
  readonly event_code: string;
}

/** What OCSF has no attribute for: who names a key, and the change the audit made. */
export interface OcsfUnmapped {
  readonly related?: readonly string[];
  readonly fix?: FixRecord;
}

export interface OcsfComplianceFinding {
  readonly class_uid: typeof OCSF_CLASS_UID;
  readonly class_name: 'Compliance Finding';
  readonly category_uid: typeof OCSF_CATEGORY_UID;
  readonly category_name: 'Findings';
  readonly activity_id: OcsfActivity['id'];
  readonly activity_name: OcsfActivity['name'];
  /** class_uid × 100 + activity_id. */
  readonly type_uid: 200301 | 200302;
  readonly type_name: `Compliance Finding: ${OcsfActivity['name']}`;
  readonly time: number;
  readonly timezone_offset: 0;
  /** The finding's severity while it fails; Informational once it does not. */
  readonly severity_id: OcsfSeverityId;
  readonly severity: OcsfSeverity;
  /** The finding's state for whoever works it: New while it fails, Resolved once it passes. */
  readonly status_id: OcsfFindingStatus['id'];
  readonly status: OcsfFindingStatus['name'];
  /** PASS or FAIL, as SIEM rules and Prowler's exports filter on; `error` (could not tell) is FAIL. Ours is `compliance.status_code`. */
  readonly status_code: 'PASS' | 'FAIL';
  /** What the audit saw. */
  readonly status_detail: string;
  readonly message: string;
  readonly compliance: OcsfCompliance;
  readonly finding_info: OcsfFindingInfo;
  readonly cloud: OcsfCloud;
  readonly resources: readonly [OcsfResource];
  readonly observables: readonly OcsfObservable[];
  readonly remediation: { readonly desc: string };
  readonly metadata: OcsfMetadata;
  readonly unmapped?: OcsfUnmapped;
}

const SEVERITY: Readonly<Record<Severity, { readonly id: OcsfSeverityId; readonly name: OcsfSeverity }>> = {
  informational: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

/**
 * A check that does not fail needs no one's effort, so its event is Informational, as Security Hub
 * labels its own passed control findings: a passed high-severity check is not a high finding.
 */
const eventSeverity = (finding: AccountFinding): Severity => (isFailing(finding.status) ? finding.severity : 'informational');

const PASS: OcsfComplianceStatus = { id: 1, name: 'Pass' };

/**
 * `error` is OCSF's Warning, "the compliance check did not yield a result due to missing
 * information": the audit could not tell. A fixed resource passes now; an informational finding
 * (a key that cannot rotate automatically) is no failure.
 */
const COMPLIANCE_STATUS: Readonly<Record<FindingStatus, OcsfComplianceStatus>> = {
  failed: { id: 3, name: 'Fail' },
  error: { id: 2, name: 'Warning' },
  fixed: PASS,
  passed: PASS,
  informational: PASS,
};

/** As Security Hub resolves a control finding's workflow once the control passes. */
const findingStatus = (compliance: OcsfComplianceStatus): OcsfFindingStatus => (compliance.id === PASS.id ? { id: 4, name: 'Resolved' } : { id: 1, name: 'New' });

const FINDING_TYPES = ['Software and Configuration Checks/AWS Security Best Practices'] as const;

const firstSeenTime = (firstSeen: string | undefined): number | undefined => {
  const time = firstSeen === undefined ? Number.NaN : Date.parse(firstSeen);
  return Number.isNaN(time) ? undefined : time;
};

/** Update once an earlier run reported the same finding id; Create the night it first appears, or when that is not known. */
const activityOf = (firstSeen: number | undefined, time: number): OcsfActivity =>
  firstSeen !== undefined && firstSeen < time ? { id: 2, name: 'Update' } : { id: 1, name: 'Create' };

const unmappedOf = (finding: AccountFinding): OcsfUnmapped | undefined => {
  const related = finding.related !== undefined && finding.related.length > 0 ? finding.related : undefined;
  if (related === undefined && finding.fix === undefined) return undefined;
  return { ...(related ? { related } : {}), ...(finding.fix ? { fix: finding.fix } : {}) };
};

/** What both renderings of an event (the object and the line written directly) derive from the finding first. */
const eventParts = (finding: AccountFinding, context: OcsfContext) => {
  const firstSeen = firstSeenTime(finding.firstSeen);
  const compliance = COMPLIANCE_STATUS[finding.status];
  return {
    firstSeen,
    activity: activityOf(firstSeen, context.time),
    severity: SEVERITY[eventSeverity(finding)],
    compliance,
    status: findingStatus(compliance),
    unmapped: unmappedOf(finding),
  };
};

/** One OCSF Compliance Finding event for one finding: the evaluation of one check on one resource in this run. */
export const toOcsfFinding = (finding: AccountFinding, context: OcsfContext): OcsfComplianceFinding => {
  const { firstSeen, activity, severity, compliance, status, unmapped } = eventParts(finding, context);
  const standards = [PRODUCT.name];
  return {
    class_uid: OCSF_CLASS_UID,
    class_name: 'Compliance Finding',
    category_uid: OCSF_CATEGORY_UID,
    category_name: 'Findings',
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: activity.id === 1 ? 200301 : 200302,
    type_name: `Compliance Finding: ${activity.name}`,
    time: context.time,
    timezone_offset: 0,
    severity_id: severity.id,
    severity: severity.name,
    status_id: status.id,
    status: status.name,
    status_code: isFailing(finding.status) ? 'FAIL' : 'PASS',
    status_detail: finding.observed,
    message: finding.title,
    compliance: {
      standards,
      control: finding.check,
      desc: finding.expected,
      requirements: finding.controls,
      status_id: compliance.id,
      status: compliance.name,
      status_code: finding.status,
      status_details: [finding.observed],
      checks: [
        {
          uid: finding.check,
          name: finding.title,
          severity: finding.severity,
          severity_id: SEVERITY[finding.severity].id,
          standards,
          status_id: compliance.id,
          status: compliance.name,
        },
      ],
    },
    finding_info: {
      uid: finding.id,
      title: finding.title,
      desc: finding.observed,
      types: FINDING_TYPES,
      analytic: { uid: finding.check, name: finding.check, type_id: 1, type: 'Rule' },
      ...(firstSeen === undefined ? {} : { first_seen_time: firstSeen }),
      last_seen_time: context.time,
    },
    cloud: {
      provider: 'AWS',
      cloud_partition: context.partition,
      region: finding.region,
      account: { uid: finding.accountId, type_id: 10, type: 'AWS Account' },
    },
    resources: [
      { uid: finding.resource, type: finding.resourceType, region: finding.region, cloud_partition: context.partition, role_id: 1, role: 'Target' },
    ],
    observables: [
      { name: 'resources[0].uid', type_id: 10, value: finding.resource },
      { name: 'cloud.account.uid', type_id: 35, value: finding.accountId },
    ],
    remediation: { desc: finding.remediation },
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor, version: PRODUCT.version },
      profiles: ['cloud'],
      event_code: finding.check,
    },
    ...(unmapped ? { unmapped } : {}),
  };
};

/**
 * Characters JSON leaves unescaped that some line readers still break at (NEL, LINE SEPARATOR,
 * PARAGRAPH SEPARATOR). They occur only inside strings, where the escape reads back the same.
 */
const LINE_BREAKING = /[\u0085\u2028\u2029]/g;

const escapeLineBreaking = (json: string): string => json.replace(LINE_BREAKING, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A value as `ocsfLine` writes it: JSON, line-breaking characters escaped. */
const jsonValue = (value: unknown): string => escapeLineBreaking(JSON.stringify(value));

/** What JSON.stringify escapes in a string (quote, backslash, controls, lone surrogates), and the line-breaking characters. */
// eslint-disable-next-line no-control-regex -- control characters are among what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u0085\u2028\u2029\ud800-\udfff]/;

/** A string as `jsonValue` writes it; most of a finding's text needs no escape, and is only quoted. */
const jsonText = (text: string): string => (NEEDS_ESCAPE.test(text) ? jsonValue(text) : `"${text}"`);

/** A check's controls as JSON, by the list itself: every finding of a check shares its catalogue's list. */
const controlsJson = new WeakMap<readonly string[], string>();
const requirementsOf = (controls: readonly string[]): string => {
  let json = controlsJson.get(controls);
  if (json === undefined) {
    json = jsonValue(controls);
    controlsJson.set(controls, json);
  }
  return json;
};

const STANDARDS_JSON = jsonValue([PRODUCT.name]);
const FINDING_TYPES_JSON = jsonValue(FINDING_TYPES);
const PRODUCT_JSON = jsonValue({ name: PRODUCT.name, vendor_name: PRODUCT.vendor, version: PRODUCT.version });

/**
 * The event as one JSON line, newline included: a line to every JSON Lines reader, whatever the
 * finding's text. Byte for byte `JSON.stringify(toOcsfFinding(finding, context))` with the
 * line-breaking characters escaped (a unit test holds them equal), written directly: the audit writes
 * one a finding, and stringifying the event's object was the largest part of a finding's reporting
 * (about 7 of 16 µs). Each text is escaped once, however many attributes repeat it.
 */
export const ocsfLine = (finding: AccountFinding, context: OcsfContext): string => {
  const { firstSeen, activity, severity, compliance, status, unmapped } = eventParts(finding, context);
  const time = JSON.stringify(context.time);
  const partition = jsonText(context.partition);
  const check = jsonText(finding.check);
  const title = jsonText(finding.title);
  const observed = jsonText(finding.observed);
  const region = jsonText(finding.region);
  const accountId = jsonText(finding.accountId);
  const resource = jsonText(finding.resource);
  const complianceStatus = `"status_id":${compliance.id},"status":"${compliance.name}"`;
  return (
    `{"class_uid":${OCSF_CLASS_UID},"class_name":"Compliance Finding","category_uid":${OCSF_CATEGORY_UID},"category_name":"Findings",` +
    `"activity_id":${activity.id},"activity_name":"${activity.name}","type_uid":${activity.id === 1 ? 200301 : 200302},"type_name":"Compliance Finding: ${activity.name}",` +
    `"time":${time},"timezone_offset":0,"severity_id":${severity.id},"severity":"${severity.name}","status_id":${status.id},"status":"${status.name}",` +
    `"status_code":"${isFailing(finding.status) ? 'FAIL' : 'PASS'}","status_detail":${observed},"message":${title},` +
    `"compliance":{"standards":${STANDARDS_JSON},"control":${check},"desc":${jsonText(finding.expected)},"requirements":${requirementsOf(finding.controls)},` +
    `${complianceStatus},"status_code":${jsonText(finding.status)},"status_details":[${observed}],` +
    `"checks":[{"uid":${check},"name":${title},"severity":${jsonText(finding.severity)},"severity_id":${SEVERITY[finding.severity].id},"standards":${STANDARDS_JSON},${complianceStatus}}]},` +
    `"finding_info":{"uid":${jsonText(finding.id)},"title":${title},"desc":${observed},"types":${FINDING_TYPES_JSON},` +
    `"analytic":{"uid":${check},"name":${check},"type_id":1,"type":"Rule"},${firstSeen === undefined ? '' : `"first_seen_time":${JSON.stringify(firstSeen)},`}"last_seen_time":${time}},` +
    `"cloud":{"provider":"AWS","cloud_partition":${partition},"region":${region},"account":{"uid":${accountId},"type_id":10,"type":"AWS Account"}},` +
    `"resources":[{"uid":${resource},"type":${jsonText(finding.resourceType)},"region":${region},"cloud_partition":${partition},"role_id":1,"role":"Target"}],` +
    `"observables":[{"name":"resources[0].uid","type_id":10,"value":${resource}},{"name":"cloud.account.uid","type_id":35,"value":${accountId}}],` +
    `"remediation":{"desc":${jsonText(finding.remediation)}},` +
    `"metadata":{"version":"${OCSF_SCHEMA_VERSION}","product":${PRODUCT_JSON},"profiles":["cloud"],"event_code":${check}}` +
    `${unmapped ? `,"unmapped":${jsonValue(unmapped)}` : ''}}\n`
  );
};
