import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHECKS, CHECK_IDS } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';
import { FINDING_STATUSES, RESOURCE_TYPES, SEVERITIES, type AccountFinding, type FindingStatus, type FixRecord, type ResourceType } from '../../../shared/audit/finding.js';
import { OCSF_SCHEMA_VERSION, ocsfLine, toOcsfFinding, type OcsfComplianceFinding, type OcsfContext } from '../../../shared/findings-export/ocsf-finding.js';
import { PRODUCT } from '../../../shared/product.js';

const ACCOUNT = '123456789012';
const RUN = Date.parse('2026-03-01T03:00:00Z');
const CONTEXT: OcsfContext = { partition: 'aws', time: RUN };

const RESOURCES: Readonly<Record<ResourceType, string>> = {
  AwsS3Bucket: 'arn:aws:s3:::data-bucket',
  AwsKmsKey: 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111',
  AwsS3Object: 'arn:aws:s3:::data-bucket/reports/2026/q1.csv',
  AwsAccount: 'AWS::::Account:123456789012',
};

const FIX: FixRecord = { action: 'EnableKeyRotation', before: 'rotation off', after: 'rotation every 365 days', outcome: 'applied' };

const finding = (status: FindingStatus, resourceType: ResourceType, overrides: Partial<AccountFinding> = {}): AccountFinding => ({
  accountId: ACCOUNT,
  ...makeFinding(CHECKS['s3-default-encryption-kms'], {
    resource: RESOURCES[resourceType],
    resourceType,
    region: 'us-east-1',
    status,
    observed: `observed ${status}`,
    expected: 'SSE-KMS under the required key',
  }),
  ...overrides,
});

/** Every status on every resource type, with and without public controls, a first sighting, related resources and a fix. */
const EVERY_KIND: readonly AccountFinding[] = FINDING_STATUSES.flatMap((status) =>
  RESOURCE_TYPES.flatMap((resourceType) => [
    finding(status, resourceType),
    finding(status, resourceType, { controls: [], firstSeen: '2026-01-15T03:00:00.000Z', related: ['REQUIRED_KMS_KEY'], fix: FIX }),
  ]),
);

const eventsOf = (findings: readonly AccountFinding[]): Array<{ finding: AccountFinding; event: Record<string, unknown> }> =>
  findings.map((item) => ({ finding: item, event: JSON.parse(ocsfLine(item, CONTEXT)) as Record<string, unknown> }));

const valueAt = (object: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((value, step) => {
    if (value === undefined || value === null) return undefined;
    const index = /^(\w+)\[(\d+)\]$/.exec(step);
    if (index) return ((value as Record<string, unknown>)[index[1] as string] as unknown[] | undefined)?.[Number(index[2])];
    return (value as Record<string, unknown>)[step];
  }, object);

const present = (value: unknown): boolean =>
  value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);

/**
 * What OCSF 1.8.0 requires, object by object, as github.com/ocsf/ocsf-schema (tag 1.8.0) states it:
 * - the event: events/base_event.json (activity_id, category_uid, class_uid, metadata, severity_id,
 *   time, type_uid), events/findings/finding.json (finding_info), events/findings/compliance_finding.json
 *   (compliance), and profiles/cloud.json (cloud; base_event applies the profile);
 * - objects/compliance.json: no attribute is required in 1.8.0 (`standards` was, up to 1.4.0, so it is here);
 *   nor in objects/check.json;
 * - objects/finding_info.json (uid), objects/analytic.json (type_id), objects/metadata.json (product,
 *   version), objects/cloud.json (provider), objects/remediation.json (desc), objects/observable.json (type_id);
 * - objects/product.json, account.json, resource_details.json and analytic.json extend objects/_entity.json,
 *   whose constraint is at least one of name and uid: uid here.
 */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  '': ['activity_id', 'category_uid', 'class_uid', 'cloud', 'compliance', 'finding_info', 'metadata', 'severity_id', 'time', 'type_uid'],
  compliance: ['standards'],
  finding_info: ['uid'],
  'finding_info.analytic': ['type_id', 'uid'],
  metadata: ['product', 'version'],
  'metadata.product': ['name'],
  cloud: ['provider'],
  'cloud.account': ['uid'],
  'resources[0]': ['uid'],
  remediation: ['desc'],
  'observables[0]': ['type_id'],
  'observables[1]': ['type_id'],
};

/** The recommended attributes of the same files that a finding has a value for. */
const RECOMMENDED: Readonly<Record<string, readonly string[]>> = {
  '': ['message', 'observables', 'resources', 'remediation', 'status', 'status_code', 'status_detail', 'status_id', 'timezone_offset'],
  compliance: ['control', 'standards', 'status', 'status_id'],
  'compliance.checks[0]': ['name', 'standards', 'status', 'status_id', 'uid'],
  finding_info: ['analytic', 'title'],
  'metadata.product': ['vendor_name', 'version'],
  cloud: ['region'],
  'cloud.account': ['type_id'],
  'resources[0]': ['role_id'],
  'observables[0]': ['name'],
};

const pathsOf = (table: Readonly<Record<string, readonly string[]>>): string[] =>
  Object.entries(table).flatMap(([object, attributes]) => attributes.map((attribute) => (object === '' ? attribute : `${object}.${attribute}`)));

/** Enums as the schema states them: base_event.json severity_id, finding.json activity_id and status_id, compliance.json status_id, account.json type_id. */
const SEVERITY_ENUM: Readonly<Record<number, string>> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High', 5: 'Critical' };
const ACTIVITY_ENUM: Readonly<Record<number, string>> = { 1: 'Create', 2: 'Update', 3: 'Close' };
const FINDING_STATUS_ENUM: Readonly<Record<number, string>> = { 1: 'New', 2: 'In Progress', 3: 'Suppressed', 4: 'Resolved', 5: 'Archived', 6: 'Deleted' };
const COMPLIANCE_STATUS_ENUM: Readonly<Record<number, string>> = { 1: 'Pass', 2: 'Warning', 3: 'Fail' };

describe('toOcsfFinding', () => {
  it('maps a finding to a whole Compliance Finding event', () => {
    const item = finding('failed', 'AwsS3Bucket', { firstSeen: '2026-02-01T03:00:00.000Z' });
    expect(toOcsfFinding(item, { partition: 'aws-us-gov', time: RUN })).toEqual({
      class_uid: 2003,
      class_name: 'Compliance Finding',
      category_uid: 2,
      category_name: 'Findings',
      activity_id: 2,
      activity_name: 'Update',
      type_uid: 200302,
      type_name: 'Compliance Finding: Update',
      time: RUN,
      timezone_offset: 0,
      severity_id: 4,
      severity: 'High',
      status_id: 1,
      status: 'New',
      status_code: 'FAIL',
      status_detail: 'observed failed',
      message: CHECKS['s3-default-encryption-kms'].title,
      compliance: {
        standards: [PRODUCT.name],
        control: 's3-default-encryption-kms',
        desc: 'SSE-KMS under the required key',
        requirements: CHECKS['s3-default-encryption-kms'].controls,
        status_id: 3,
        status: 'Fail',
        status_code: 'failed',
        status_details: ['observed failed'],
        checks: [
          {
            uid: 's3-default-encryption-kms',
            name: CHECKS['s3-default-encryption-kms'].title,
            severity: 'high',
            severity_id: 4,
            standards: [PRODUCT.name],
            status_id: 3,
            status: 'Fail',
          },
        ],
      },
      finding_info: {
        uid: item.id,
        title: CHECKS['s3-default-encryption-kms'].title,
        desc: 'observed failed',
        types: ['Software and Configuration Checks/AWS Security Best Practices'],
        analytic: { uid: 's3-default-encryption-kms', name: 's3-default-encryption-kms', type_id: 1, type: 'Rule' },
        first_seen_time: Date.parse('2026-02-01T03:00:00Z'),
        last_seen_time: RUN,
      },
      cloud: { provider: 'AWS', cloud_partition: 'aws-us-gov', region: 'us-east-1', account: { uid: ACCOUNT, type_id: 10, type: 'AWS Account' } },
      resources: [{ uid: 'arn:aws:s3:::data-bucket', type: 'AwsS3Bucket', region: 'us-east-1', cloud_partition: 'aws-us-gov', role_id: 1, role: 'Target' }],
      observables: [
        { name: 'resources[0].uid', type_id: 10, value: 'arn:aws:s3:::data-bucket' },
        { name: 'cloud.account.uid', type_id: 35, value: ACCOUNT },
      ],
      remediation: { desc: CHECKS['s3-default-encryption-kms'].remediation },
      metadata: {
        version: '1.8.0',
        product: { name: 's3-encryption-enforcer', vendor_name: 's3-encryption-enforcer project', version: PRODUCT.version },
        profiles: ['cloud'],
        event_code: 's3-default-encryption-kms',
      },
    } satisfies OcsfComplianceFinding);
  });

  it('states the schema version it follows', () => {
    expect(OCSF_SCHEMA_VERSION).toMatch(/^1\.\d+\.\d+$/);
  });

  it.each(pathsOf(REQUIRED))('every line of every status and resource type has the required %s', (path) => {
    for (const { event } of eventsOf(EVERY_KIND)) expect(present(valueAt(event, path)), path).toBe(true);
  });

  it.each(pathsOf(RECOMMENDED))('every line has the recommended %s', (path) => {
    for (const { event } of eventsOf(EVERY_KIND)) expect(present(valueAt(event, path)) || valueAt(event, path) === 0, path).toBe(true);
  });

  it('every line carries the Compliance Finding class, its type_uid and captions that match their ids', () => {
    for (const { event } of eventsOf(EVERY_KIND)) {
      expect(event).toMatchObject({ class_uid: 2003, class_name: 'Compliance Finding', category_uid: 2, category_name: 'Findings' });
      const activity = event['activity_id'] as number;
      expect(event['type_uid']).toBe(2003 * 100 + activity);
      expect(event['activity_name']).toBe(ACTIVITY_ENUM[activity]);
      expect(event['type_name']).toBe(`Compliance Finding: ${ACTIVITY_ENUM[activity]}`);
      expect(event['severity']).toBe(SEVERITY_ENUM[event['severity_id'] as number]);
      expect(event['status']).toBe(FINDING_STATUS_ENUM[event['status_id'] as number]);
      expect(valueAt(event, 'compliance.status')).toBe(COMPLIANCE_STATUS_ENUM[valueAt(event, 'compliance.status_id') as number]);
      expect(valueAt(event, 'compliance.checks[0].status_id')).toBe(valueAt(event, 'compliance.status_id'));
      expect(valueAt(event, 'compliance.checks[0].status')).toBe(valueAt(event, 'compliance.status'));
      expect(SEVERITY_ENUM[valueAt(event, 'compliance.checks[0].severity_id') as number]?.toLowerCase()).toBe(valueAt(event, 'compliance.checks[0].severity'));
      expect(valueAt(event, 'cloud.account')).toMatchObject({ type_id: 10, type: 'AWS Account' });
      expect(valueAt(event, 'metadata.version')).toBe(OCSF_SCHEMA_VERSION);
    }
  });

  it.each([
    ['informational', 1, 'Informational'],
    ['low', 2, 'Low'],
    ['medium', 3, 'Medium'],
    ['high', 4, 'High'],
    ['critical', 5, 'Critical'],
  ] as const)('severity %s is severity_id %i (%s) while the finding fails or could not be checked', (severity, id, name) => {
    for (const status of ['failed', 'error'] as const) {
      const event = toOcsfFinding(finding(status, 'AwsS3Bucket', { severity }), CONTEXT);
      expect(event).toMatchObject({ severity_id: id, severity: name });
      expect(event.compliance.checks[0]).toMatchObject({ severity_id: id, severity });
    }
  });

  it('covers every severity', () => {
    expect(SEVERITIES.map((severity) => toOcsfFinding(finding('failed', 'AwsKmsKey', { severity }), CONTEXT).severity_id).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('an event whose check does not fail is Informational; the check keeps its own severity', () => {
    for (const status of ['passed', 'fixed', 'informational'] as const) {
      const event = toOcsfFinding(finding(status, 'AwsS3Bucket', { severity: 'critical' }), CONTEXT);
      expect(event).toMatchObject({ severity_id: 1, severity: 'Informational' });
      expect(event.compliance.checks[0]).toMatchObject({ severity_id: 5, severity: 'critical', status_id: 1, status: 'Pass' });
    }
  });

  it.each([
    ['failed', 3, 'Fail', 1, 'New'],
    ['error', 2, 'Warning', 1, 'New'],
    ['fixed', 1, 'Pass', 4, 'Resolved'],
    ['passed', 1, 'Pass', 4, 'Resolved'],
    ['informational', 1, 'Pass', 4, 'Resolved'],
  ] as const)('status %s is compliance %i (%s), finding status %i (%s), and PASS or FAIL at the top, its own status in compliance.status_code', (status, complianceId, complianceName, statusId, statusName) => {
    const event = toOcsfFinding(finding(status, 'AwsS3Bucket'), CONTEXT);
    expect(event.compliance).toMatchObject({ status_id: complianceId, status: complianceName, status_code: status, status_details: [`observed ${status}`] });
    expect(event).toMatchObject({ status_id: statusId, status: statusName, status_code: status === 'failed' || status === 'error' ? 'FAIL' : 'PASS', status_detail: `observed ${status}` });
  });

  it('covers every finding status', () => {
    expect(new Set(FINDING_STATUSES.map((status) => toOcsfFinding(finding(status, 'AwsKmsKey'), CONTEXT).compliance.status_id))).toEqual(new Set([1, 2, 3]));
  });

  it('is an Update once an earlier run saw the finding, a Create the night it first appears or when that is not known', () => {
    const activity = (firstSeen: string | undefined): Pick<OcsfComplianceFinding, 'activity_id' | 'type_uid'> & { first?: number | undefined } => {
      const event = toOcsfFinding(finding('failed', 'AwsS3Bucket', { firstSeen }), CONTEXT);
      return { activity_id: event.activity_id, type_uid: event.type_uid, first: event.finding_info.first_seen_time };
    };
    expect(activity('2026-02-28T03:00:00.000Z')).toEqual({ activity_id: 2, type_uid: 200302, first: Date.parse('2026-02-28T03:00:00Z') });
    expect(activity(new Date(RUN).toISOString())).toEqual({ activity_id: 1, type_uid: 200301, first: RUN });
    expect(activity(undefined)).toEqual({ activity_id: 1, type_uid: 200301, first: undefined });
    expect(activity('not a date')).toEqual({ activity_id: 1, type_uid: 200301, first: undefined });
    expect(toOcsfFinding(finding('passed', 'AwsKmsKey'), CONTEXT).finding_info.last_seen_time).toBe(RUN);
  });

  it('names the product as the standard and the public controls as requirements, with or without controls', () => {
    for (const check of CHECK_IDS) {
      const item = { accountId: ACCOUNT, ...makeFinding(CHECKS[check], { resource: RESOURCES.AwsS3Bucket, region: 'eu-west-1', status: 'failed', observed: 'o', expected: 'e' }) };
      expect(toOcsfFinding(item, CONTEXT).compliance).toMatchObject({ standards: [PRODUCT.name], control: check, requirements: CHECKS[check].controls });
    }
  });

  it('puts the resource, its type, region and partition in resources and cloud', () => {
    for (const resourceType of RESOURCE_TYPES) {
      const event = toOcsfFinding(finding('passed', resourceType, { region: 'cn-north-1' }), { partition: 'aws-cn', time: RUN });
      expect(event.resources).toEqual([{ uid: RESOURCES[resourceType], type: resourceType, region: 'cn-north-1', cloud_partition: 'aws-cn', role_id: 1, role: 'Target' }]);
      expect(event.cloud).toMatchObject({ provider: 'AWS', cloud_partition: 'aws-cn', region: 'cn-north-1' });
    }
  });

  it('keeps related resources and the fix, which OCSF has no attribute for, in unmapped, and only when there are some', () => {
    const failedFix: FixRecord = { ...FIX, outcome: 'failed', error: 'AccessDenied' };
    expect(toOcsfFinding(finding('fixed', 'AwsKmsKey', { related: ['REQUIRED_KMS_KEY', 'bucket a default encryption'], fix: failedFix }), CONTEXT).unmapped).toEqual({
      related: ['REQUIRED_KMS_KEY', 'bucket a default encryption'],
      fix: failedFix,
    });
    expect(toOcsfFinding(finding('fixed', 'AwsKmsKey', { fix: FIX }), CONTEXT).unmapped).toEqual({ fix: FIX });
    expect(toOcsfFinding(finding('passed', 'AwsKmsKey', { related: [] }), CONTEXT)).not.toHaveProperty('unmapped');
    expect(toOcsfFinding(finding('passed', 'AwsKmsKey'), CONTEXT)).not.toHaveProperty('unmapped');
  });
});

/** Text a naive writer would let end a line, the JSON or a page. */
const tricky = fc.constantFrom('', '\n', '\r\n', '\r', '\u2028', '\u2029', '\u0085', '"},\n{"class_uid":0}', '<script>alert(1)</script>', '</b>&amp;', 'zugriff verweigert — ü → ✓', '\u0000\u001f', '\ud800', '🔐');
const text = fc.oneof(tricky, fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));

const arbFinding: fc.Arbitrary<AccountFinding> = fc.record(
  {
    accountId: text,
    id: text,
    check: text,
    severity: fc.constantFrom(...SEVERITIES),
    status: fc.constantFrom(...FINDING_STATUSES),
    resource: text,
    resourceType: fc.constantFrom(...RESOURCE_TYPES),
    region: text,
    title: text,
    observed: text,
    expected: text,
    remediation: text,
    controls: fc.array(text, { maxLength: 3 }),
    related: fc.array(text, { maxLength: 3 }),
    fix: fc.record({
      action: fc.constantFrom('PutBucketEncryption', 'EnableKeyRotation'),
      before: text,
      after: text,
      outcome: fc.constantFrom('applied', 'failed'),
      error: fc.option(text, { nil: undefined }),
    }),
    firstSeen: fc.oneof(text, fc.date({ noInvalidDate: true }).map((date) => date.toISOString())),
  },
  { requiredKeys: ['accountId', 'id', 'check', 'severity', 'status', 'resource', 'resourceType', 'region', 'title', 'observed', 'expected', 'remediation', 'controls'] },
);

/** What some reader takes for the end of a line: JSON Lines, Node's readline, Python's str.splitlines. */
const LINE_BREAKS = new Set(['\n', '\r', '\u000b', '\u000c', '\u001c', '\u001d', '\u001e', '\u0085', '\u2028', '\u2029']);

describe('ocsfLine', () => {
  it('is one line of JSON for any finding, whatever its text, and reads back to the finding it came from', () => {
    fc.assert(
      fc.property(arbFinding, fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'), fc.integer({ min: 0, max: 4_102_444_800_000 }), (item, partition, time) => {
        const line = ocsfLine(item, { partition, time });
        expect(line.endsWith('\n')).toBe(true);
        expect([...line.slice(0, -1)].filter((character) => LINE_BREAKS.has(character))).toEqual([]);
        const event = JSON.parse(line) as OcsfComplianceFinding;
        expect(event).toEqual(JSON.parse(JSON.stringify(toOcsfFinding(item, { partition, time }))));
        expect(event.finding_info.uid).toBe(item.id);
        expect(event.cloud.account.uid).toBe(item.accountId);
        expect(event.resources[0].uid).toBe(item.resource);
        expect(event.status_detail).toBe(item.observed);
        expect(event.type_uid).toBe(event.class_uid * 100 + event.activity_id);
        for (const path of pathsOf(REQUIRED)) expect(valueAt(event, path), path).toBeDefined();
      }),
    );
  });

  it('is byte for byte the event toOcsfFinding describes, stringified, with the line-breaking characters escaped', () => {
    const expected = (item: AccountFinding, context: OcsfContext): string =>
      `${JSON.stringify(toOcsfFinding(item, context)).replace(/[\u0085\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
    for (const item of EVERY_KIND) expect(ocsfLine(item, CONTEXT)).toBe(expected(item, CONTEXT));
    fc.assert(
      fc.property(arbFinding, fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', '"\u2028'), fc.integer({ min: 0, max: 4_102_444_800_000 }), (item, partition, time) => {
        expect(ocsfLine(item, { partition, time })).toBe(expected(item, { partition, time }));
      }),
    );
  });

  it('writes each finding\'s own controls, whether findings share their check\'s list or not', () => {
    const shared = ['Security Hub S3.17', 'line\u2028break'];
    const [a, b, c] = [finding('failed', 'AwsS3Bucket', { controls: shared }), finding('passed', 'AwsKmsKey', { controls: shared }), finding('failed', 'AwsS3Bucket', { controls: ['PCI DSS v4.0 3.5.1'] })];
    const requirements = (item: AccountFinding): unknown => (JSON.parse(ocsfLine(item, CONTEXT)) as OcsfComplianceFinding).compliance.requirements;
    expect([a, b, c, a].map(requirements)).toEqual([shared, shared, ['PCI DSS v4.0 3.5.1'], shared]);
    expect(ocsfLine(a, CONTEXT)).toContain('"requirements":["Security Hub S3.17","line\\u2028break"]');
  });

  it('reads back the text of the finding exactly, line separators and markup included', () => {
    const item = finding('error', 'AwsS3Object', { observed: 'a\u2028b\u2029c\u0085d\n"e"</script>', title: '<b>ü</b>' });
    const line = ocsfLine(item, CONTEXT);
    expect(line).toContain('a\\u2028b\\u2029c\\u0085d\\n\\"e\\"</script>');
    expect(line.split('\n')).toHaveLength(2);
    const event = JSON.parse(line) as OcsfComplianceFinding;
    expect(event.status_detail).toBe(item.observed);
    expect(event.message).toBe('<b>ü</b>');
  });
});
