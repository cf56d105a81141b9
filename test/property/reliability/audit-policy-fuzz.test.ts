import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateKeyRequirementPolicy } from '../../../shared/audit/key-requirement-policy.js';
import { evaluateRoleSeparation, type RoleSeparation } from '../../../shared/audit/key-role-separation.js';
import { evaluateTlsOnlyPolicy, type PolicyEvaluation } from '../../../shared/audit/tls-only-policy.js';
import { markdownTable, publishReliabilitySection, type ReliabilitySectionId } from '../../fixtures/reliability-report.js';

/**
 * Bucket and key policies, generated, through the audit's three policy evaluators (TLS-only,
 * required key, key role separation): valid and malformed JSON, every field in string, list and
 * object form, wildcards, mixed case, huge documents, unicode. Zero exceptions; a correct policy in
 * any of its equivalent forms always passes; a known-bad mutation of one always fails.
 */

const SECTION: ReliabilitySectionId = 'audit-policy-fuzz';
const ACCOUNT = '123456789012';
const BUCKET_ARN = 'arn:aws:s3:::fuzz-bucket';
const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const OTHER_KEY = 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222';

type Json = Record<string, unknown>;

const stats = {
  properties: new Map<string, { runs: number; policies: number }>(),
  malformedJson: 0,
  largestBytes: 0,
  largestStatements: 0,
  longestReason: 0,
  /** A 20 KB bucket policy (AWS's limit) of near-miss TLS denies: its size and the reason's. */
  nearMiss: { policy: 0, reason: 0 },
  exceptions: 0,
  outcomes: { tls: new Map<string, number>(), key: new Map<string, number>(), role: new Map<string, number>() },
};
const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);
const note = (property: string, policies: number): void => {
  const entry = stats.properties.get(property) ?? { runs: 0, policies: 0 };
  stats.properties.set(property, { runs: entry.runs + 1, policies: entry.policies + policies });
};

/** All three evaluators, never throwing; the answers well-formed; no reason repeats the document. */
const evaluateAll = (text: string): { tls: PolicyEvaluation; key: PolicyEvaluation; role: RoleSeparation } => {
  let answers;
  try {
    answers = {
      tls: evaluateTlsOnlyPolicy(text, BUCKET_ARN),
      key: evaluateKeyRequirementPolicy(text, BUCKET_ARN, REQUIRED),
      role: evaluateRoleSeparation(text, ACCOUNT),
    };
  } catch (error) {
    stats.exceptions += 1;
    throw error;
  }
  stats.largestBytes = Math.max(stats.largestBytes, Buffer.byteLength(text));
  for (const [name, answer] of [
    ['tls', answers.tls],
    ['key', answers.key],
  ] as const) {
    const words = answer.compliant ? answer.evidence : answer.reason;
    expect(typeof words).toBe('string');
    expect(words.length).toBeGreaterThan(0);
    stats.longestReason = Math.max(stats.longestReason, words.length);
    bump(stats.outcomes[name], answer.compliant ? 'compliant' : 'not compliant');
    if (text.length >= 40) expect(words.includes(text)).toBe(false);
  }
  expect(['separated', 'overlap', 'unreadable']).toContain(answers.role.kind);
  bump(stats.outcomes.role, answers.role.kind);
  return answers;
};

// ---------- arbitrary documents ----------

const interesting = fc.constantFrom(
  '*',
  '?',
  '**',
  's3:*',
  'S3:*',
  's3:Get*',
  's3:PutObject',
  's3:putobject',
  'kms:*',
  'KMS:Decrypt',
  'kms:PutKeyPolicy',
  'kms:ReEncrypt*',
  'aws:SecureTransport',
  'AWS:SECURETRANSPORT',
  's3:x-amz-server-side-encryption-aws-kms-key-id',
  BUCKET_ARN,
  `${BUCKET_ARN}/*`,
  `${BUCKET_ARN}*`,
  'arn:aws:s3:::*',
  'arn:aws:s3:::fuzz-bucket/?*',
  REQUIRED,
  `arn:aws:iam::${ACCOUNT}:root`,
  'arn:aws:iam::210987654321:role/x',
  'false',
  'true',
  'Deny',
  'Allow',
  'Bool',
  'StringNotEquals',
  '',
  'ÄÖÜ-ß-İ-ﬃ',
  '🔐🪣',
  '\u0000\u202e',
);
const text = fc.oneof({ weight: 3, arbitrary: interesting }, fc.string({ unit: 'grapheme', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 20 }));
const scalar = fc.oneof(text, fc.boolean(), fc.integer(), fc.double(), fc.constant(null));
/** A field as IAM allows it (string, list, object) or as nobody should write it. */
const field = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 3, arbitrary: fc.array(text, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.dictionary(fc.oneof(interesting, fc.constantFrom('AWS', 'Service', 'Federated', 'CanonicalUser')), fc.oneof(text, fc.array(text, { maxLength: 3 })), { maxKeys: 3 }) },
  { weight: 1, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
const condition = fc.oneof(
  fc.dictionary(fc.oneof(interesting, text), fc.dictionary(fc.oneof(interesting, text), field, { maxKeys: 3 }), { maxKeys: 3 }),
  field,
);
const statement = fc.record(
  {
    Sid: fc.oneof(text, scalar),
    Effect: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('Allow', 'Deny') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('deny', 'ALLOW'), scalar) }),
    Principal: fc.oneof(fc.constant('*'), fc.constant({ AWS: '*' }), field),
    NotPrincipal: field,
    Action: field,
    NotAction: field,
    Resource: field,
    NotResource: field,
    Condition: condition,
  },
  { requiredKeys: [] },
);
const document = fc.oneof(
  { weight: 4, arbitrary: fc.record({ Version: fc.constantFrom('2012-10-17', '2008-10-17'), Statement: fc.array(statement, { maxLength: 6 }) }, { requiredKeys: ['Statement'] }) },
  { weight: 2, arbitrary: fc.record({ Statement: statement }) },
  { weight: 1, arbitrary: fc.record({ Statement: fc.oneof(scalar, fc.array(fc.oneof(scalar, statement), { maxLength: 4 })) }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);
/** Text as it may reach the audit: JSON, broken JSON, anything. */
const policyText = fc.oneof(
  { weight: 6, arbitrary: document.map((doc) => JSON.stringify(doc) ?? 'null') },
  {
    weight: 2,
    arbitrary: fc.tuple(document, fc.nat(), fc.string({ maxLength: 5 })).map(([doc, cut, tail]) => {
      const json = JSON.stringify(doc) ?? '';
      return `${json.slice(0, json.length === 0 ? 0 : cut % json.length)}${tail}`;
    }),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{}', '[]', 'null', '{"Statement":null}', '{"Statement":[]}', '{"Statement":{}}', '{"Statement":[1,"x",null]}', '\uFEFF{"Statement":[]}') },
  {
    // Huge: thousands of statements (AWS caps bucket policies at 20 KB and key policies at 32 KB; the audit must not care).
    weight: 1,
    arbitrary: fc.tuple(statement, fc.integer({ min: 500, max: 2000 })).map(([one, count]) => JSON.stringify({ Statement: Array.from({ length: count }, () => one) })),
  },
);

// ---------- known-good forms ----------

const principalEveryone = fc.constantFrom<unknown>('*', { AWS: '*' }, { AWS: ['*'] });
const maybeList = <T>(value: T): fc.Arbitrary<T | T[]> => fc.constantFrom<T | T[]>(value, [value]);
const unrelatedAllow = fc.record({
  Sid: fc.string({ unit: 'grapheme', maxLength: 12 }),
  Effect: fc.constant('Allow'),
  Principal: fc.constantFrom<unknown>({ AWS: 'arn:aws:iam::210987654321:role/reader' }, '*', { Service: 'logging.s3.amazonaws.com' }),
  Action: fc.constantFrom<unknown>('s3:GetObject', ['s3:GetObject', 's3:ListBucket'], 's3:*'),
  Resource: fc.constantFrom<unknown>(`${BUCKET_ARN}/public/*`, [BUCKET_ARN, `${BUCKET_ARN}/*`]),
});
const bigAllows = fc.oneof({ weight: 5, arbitrary: fc.array(unrelatedAllow, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.array(unrelatedAllow, { minLength: 100, maxLength: 400 }) });

interface TlsForm {
  readonly statements: Json[];
  /** Whether the resources are named exactly (bucket and bucket/*), so that one can be taken away. */
  readonly explicit: boolean;
}

const tlsAction = fc.constantFrom<unknown>('s3:*', ['s3:*'], 'S3:*', 's3:**', '*', ['s3:GetObject', 's3:*']);
const tlsOperator = fc.constantFrom('Bool', 'BoolIfExists');
const tlsKey = fc.constantFrom('aws:SecureTransport', 'aws:securetransport', 'AWS:SecureTransport', 'Aws:SECURETRANSPORT');
const tlsFalse = fc.constantFrom<unknown>('false', false, ['false'], 'False', 'FALSE', [false]);
/** The Resource of each TLS statement (one statement, or one for the bucket and one for its objects). */
interface TlsResources {
  readonly resources: readonly unknown[];
  readonly explicit: boolean;
}
const tlsResources: fc.Arbitrary<TlsResources> = fc.oneof(
  fc.constant<TlsResources>({ resources: [[BUCKET_ARN, `${BUCKET_ARN}/*`]], explicit: true }),
  fc.constant<TlsResources>({ resources: [[`${BUCKET_ARN}/*`, BUCKET_ARN]], explicit: true }),
  fc.tuple(maybeList(BUCKET_ARN), maybeList(`${BUCKET_ARN}/*`)).map(([bucket, objects]): TlsResources => ({ resources: [bucket, objects], explicit: true })),
  fc.constantFrom<unknown>('*', `${BUCKET_ARN}*`, ['arn:aws:s3:::*'], [BUCKET_ARN, `${BUCKET_ARN}/*`, 'arn:aws:s3:::fuzz-bucket/?*']).map((resource): TlsResources => ({
    resources: [resource],
    explicit: false,
  })),
);
const tlsGood: fc.Arbitrary<TlsForm> = fc
  .record({
    principal: principalEveryone,
    action: tlsAction,
    operator: tlsOperator,
    key: tlsKey,
    value: tlsFalse,
    resources: tlsResources,
    sid: fc.option(fc.string({ unit: 'grapheme', maxLength: 16 }), { nil: undefined }),
  })
  .map(({ principal, action, operator, key, value, resources, sid }) => ({
    explicit: resources.explicit,
    statements: resources.resources.map((resource, index) => ({
      ...(sid !== undefined ? { Sid: `${sid}${index}` } : {}),
      Effect: 'Deny',
      Principal: principal,
      Action: action,
      Resource: resource,
      Condition: { [operator]: { [key]: value } },
    })),
  }));

/** A whole document: the TLS statements among unrelated grants, Statement as one object when it can be. */
const wrap = (statements: Json[], extra: Json[], single: boolean, indent: number): string => {
  const all = [...extra.slice(0, Math.ceil(extra.length / 2)), ...statements, ...extra.slice(Math.ceil(extra.length / 2))];
  return JSON.stringify({ Version: '2012-10-17', Statement: single && all.length === 1 ? all[0] : all }, null, indent);
};

const resourcesOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : [String(value)]);

const withoutResource = (statements: Json[], drop: string): Json[] =>
  statements.map((item) => {
    const kept = resourcesOf(item['Resource']).filter((resource) => resource !== drop);
    return { ...item, Resource: kept.length > 0 ? kept : 'arn:aws:s3:::another-bucket' };
  });

type TlsMutation = 'effect-allow' | 'no-bucket' | 'no-objects' | 'secure-transport-true';
const mutateTls = (statements: Json[], mutation: TlsMutation, trueValue: unknown): Json[] => {
  switch (mutation) {
    case 'effect-allow':
      return statements.map((item) => ({ ...item, Effect: 'Allow' }));
    case 'no-bucket':
      return withoutResource(statements, BUCKET_ARN);
    case 'no-objects':
      return withoutResource(statements, `${BUCKET_ARN}/*`);
    case 'secure-transport-true':
      return statements.map((item) => {
        const [operator, block] = Object.entries(item['Condition'] as Json)[0] as [string, Json];
        return { ...item, Condition: { [operator]: Object.fromEntries(Object.keys(block).map((key) => [key, trueValue])) } };
      });
  }
};

// ---------- required key ----------

const keyGood = fc
  .record({
    principal: principalEveryone,
    action: fc.constantFrom<unknown>('s3:PutObject', ['s3:PutObject'], 's3:Put*', 's3:*', 'S3:PUTOBJECT', '*', ['s3:GetObject', 's3:PutObject']),
    resource: fc.constantFrom<unknown>(`${BUCKET_ARN}/*`, [`${BUCKET_ARN}/*`], [BUCKET_ARN, `${BUCKET_ARN}/*`], '*', `${BUCKET_ARN}/**`),
    operator: fc.constantFrom('StringNotEquals', 'StringNotEqualsIfExists', 'ArnNotEquals', 'ArnNotLike', 'StringNotLike', 'ArnNotEqualsIfExists'),
    key: fc.constantFrom('s3:x-amz-server-side-encryption-aws-kms-key-id', 'S3:X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id'),
    value: maybeList(REQUIRED),
  })
  .map(({ principal, action, resource, operator, key, value }) => ({
    Sid: 'RequireKey',
    Effect: 'Deny',
    Principal: principal,
    Action: action,
    Resource: resource,
    Condition: { [operator]: { [key]: value } },
  }));
type KeyMutation = 'effect-allow' | 'bucket-only' | 'non-negated-operator' | 'second-key' | 'principal-one-role';
const mutateKey = (item: Json, mutation: KeyMutation): Json => {
  const [operator, block] = Object.entries(item['Condition'] as Json)[0] as [string, Json];
  const [key, value] = Object.entries(block)[0] as [string, unknown];
  switch (mutation) {
    case 'effect-allow':
      return { ...item, Effect: 'Allow' };
    case 'bucket-only':
      return { ...item, Resource: BUCKET_ARN };
    case 'non-negated-operator':
      return { ...item, Condition: { [operator.replace('Not', '')]: { [key]: value } } };
    case 'second-key':
      return { ...item, Condition: { [operator]: { [key]: [REQUIRED, OTHER_KEY] } } };
    case 'principal-one-role':
      return { ...item, Principal: { AWS: 'arn:aws:iam::123456789012:role/uploader' } };
  }
};

// ---------- role separation ----------

const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const ADMIN = `arn:aws:iam::${ACCOUNT}:role/key-admin`;
const USER = `arn:aws:iam::${ACCOUNT}:role/app`;
const adminActions = fc.constantFrom<unknown>('kms:PutKeyPolicy', ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'], 'kms:Disable*', ['KMS:PUTKEYPOLICY'], ['kms:Create*', 'kms:Put*', 'kms:Schedule*']);
const decryptActions = fc.constantFrom<unknown>('kms:Decrypt', ['kms:Decrypt', 'kms:Encrypt'], 'kms:ReEncrypt*', ['KMS:decrypt'], 'kms:De*');
/** The role, alone or with a peer of its own (a peer of the admins administers; one of the users decrypts). */
const principalOf = (arn: string) => fc.constantFrom<unknown>({ AWS: arn }, { AWS: [arn] }, { AWS: [arn, `${arn}-peer`] });
const rootGrant = fc.constantFrom<unknown>({ AWS: ROOT }, { AWS: ACCOUNT }, { AWS: [ROOT] });
const roleGood = fc
  .record({ root: rootGrant, admin: principalOf(ADMIN), user: principalOf(USER), adminActions, decryptActions })
  .map(({ root, admin, user, adminActions: a, decryptActions: d }) => [
    { Sid: 'Root', Effect: 'Allow', Principal: root, Action: 'kms:*', Resource: '*' },
    { Sid: 'Admins', Effect: 'Allow', Principal: admin, Action: a, Resource: '*' },
    { Sid: 'Users', Effect: 'Allow', Principal: user, Action: d, Resource: '*' },
  ]);
type RoleMutation = 'admin-decrypts' | 'user-administers' | 'admin-kms-star' | 'everyone-both';
const mutateRole = (statements: Json[], mutation: RoleMutation): { statements: Json[]; principal: string } => {
  const [root, admins, users] = statements as [Json, Json, Json];
  switch (mutation) {
    case 'admin-decrypts':
      return { statements: [root, admins, users, { Effect: 'Allow', Principal: admins['Principal'], Action: users['Action'], Resource: '*' }], principal: `AWS:${ADMIN}` };
    case 'user-administers':
      return { statements: [root, admins, { ...users, Action: [...resourcesOf(users['Action']), ...resourcesOf(admins['Action'])] }], principal: `AWS:${USER}` };
    case 'admin-kms-star':
      return { statements: [root, { ...admins, Action: 'kms:*' }, users], principal: `AWS:${ADMIN}` };
    case 'everyone-both':
      return { statements: [root, admins, users, { Effect: 'Allow', Principal: '*', Action: ['kms:Decrypt', 'kms:PutKeyPolicy'], Resource: '*' }], principal: '*' };
  }
};

const RUNS = { arbitrary: 3000, tlsGood: 600, tlsBad: 800, keyGood: 300, keyBad: 400, roleGood: 200, roleBad: 300 } as const;

afterAll(() => {
  const properties = [...stats.properties.entries()];
  if (properties.length < 7) return;
  const total = properties.reduce((sum, [, entry]) => sum + entry.policies, 0);
  const outcome = (map: Map<string, number>) => [...map.entries()].map(([name, count]) => `${name} ${count}`).join(', ');
  publishReliabilitySection(
    SECTION,
    [
      '_The nightly audit\'s policy evaluators, by test/property/reliability/audit-policy-fuzz.test.ts (`npm run test:unit`)._',
      '',
      `**${total.toLocaleString('en')} generated bucket and key policies** through \`evaluateTlsOnlyPolicy\`, \`evaluateKeyRequirementPolicy\` and`,
      '`evaluateRoleSeparation` (fast-check). Every document, good or bad, goes through all three: **exceptions: ' + String(stats.exceptions) + '**; every',
      'answer is well-formed (a non-empty reason or evidence; a role-separation kind) and no reason repeats the document it was given.',
      `Largest document: ${stats.largestBytes.toLocaleString('en')} bytes (${stats.largestStatements.toLocaleString('en')} statements); longest reason: ${stats.longestReason.toLocaleString('en')} characters.`,
      '',
      markdownTable(
        ['property', 'runs', 'policies', 'holds'],
        properties.map(([name, entry]) => [name, entry.runs, entry.policies, 'yes']),
      ),
      '',
      `Outcomes over every document — TLS-only: ${outcome(stats.outcomes.tls)}; required key: ${outcome(stats.outcomes.key)}; role separation: ${outcome(stats.outcomes.role)}.`,
      '',
      'Known-good forms: the TLS deny with Principal `"*"`, `{"AWS":"*"}` or `{"AWS":["*"]}`; Action `s3:*` as string or list, `S3:*`, `*`;',
      '`Bool` or `BoolIfExists`; the condition key in any case; `false` as string, boolean, list, any case; the bucket and its objects in one',
      'statement or two, as strings or lists, or by `*` / `bucket*`; with or without Sid; among up to 400 unrelated Allow statements; Statement',
      'as an object or a list; any indentation. Known-bad mutations (each always fails): Effect `Allow`; the bucket ARN or the `bucket/*` ARN',
      'taken away; `aws:SecureTransport` `true`. Required key: the same forms, `StringNotEquals`/`ArnNotEquals`/`…Like`/`…IfExists`; bad:',
      'Effect Allow, only the bucket ARN, a non-negated operator, a second key let through, one role instead of `*`. Role separation: separated',
      'policies (root grant by ARN or account id, admins, users) always `separated`; an admin granted Decrypt, a user granted administration,',
      'an admin with `kms:*`, or everyone granted both, always `overlap` naming that principal.',
      '',
      'Observation (not asserted: how much a finding needs is a product decision): a reason lists the action patterns of every candidate',
      'statement it rejects, and nothing caps its length. It becomes the finding\'s `observed`, which is logged and stored. Within AWS\'s',
      `20 KB bucket-policy limit, a policy of near-miss TLS denies (each listing six S3 actions instead of \`s3:*\`) of ${stats.nearMiss.policy.toLocaleString('en')} characters`,
      `gives a reason of ${stats.nearMiss.reason.toLocaleString('en')} characters.`,
    ].join('\n'),
  );
});

describe('audit policy fuzz', () => {
  it('measures the reason for a 20 KB policy of near-miss TLS denies (reported, not asserted)', () => {
    const actions = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket', 's3:GetObjectAcl', 's3:PutObjectAcl'];
    const statements: Json[] = [];
    let policy = '';
    for (let index = 0; ; index += 1) {
      statements.push({ Sid: `DenyPlain${index}`, Effect: 'Deny', Principal: '*', Action: actions, Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
      const next = JSON.stringify({ Version: '2012-10-17', Statement: statements });
      if (next.length > 20_480) break;
      policy = next;
    }
    const answer = evaluateAll(policy).tls;
    expect(answer.compliant).toBe(false);
    stats.nearMiss = { policy: policy.length, reason: answer.compliant ? 0 : answer.reason.length };
  });

  it('arbitrary documents: no exception from any evaluator, answers well-formed', () => {
    fc.assert(
      fc.property(policyText, (policy) => {
        note('arbitrary and malformed documents: no exception', 1);
        const parsed = (() => {
          try {
            return { ok: true, value: JSON.parse(policy) as unknown };
          } catch {
            return { ok: false, value: undefined };
          }
        })();
        const parses = parsed.ok;
        if (!parses) stats.malformedJson += 1;
        const statements = typeof parsed.value === 'object' && parsed.value !== null ? (parsed.value as { Statement?: unknown }).Statement : undefined;
        if (Array.isArray(statements)) stats.largestStatements = Math.max(stats.largestStatements, statements.length);
        const answers = evaluateAll(policy);
        if (!parses) {
          expect(answers.tls).toEqual({ compliant: false, reason: 'the policy is not valid JSON' });
          expect(answers.role).toEqual({ kind: 'unreadable', reason: 'the policy is not valid JSON' });
        }
      }),
      { numRuns: RUNS.arbitrary },
    );
    expect(stats.malformedJson).toBeGreaterThan(0);
  }, 120_000);

  it('a correct TLS-only deny passes in every equivalent form', () => {
    fc.assert(
      fc.property(tlsGood, bigAllows, fc.boolean(), fc.constantFrom(0, 2, 4), ({ statements }, extra, single, indent) => {
        note('TLS-only: known-good forms pass', 1);
        const policy = wrap(statements, extra, single, indent);
        const answer = evaluateAll(policy).tls;
        expect(answer, policy.slice(0, 2000)).toMatchObject({ compliant: true });
      }),
      { numRuns: RUNS.tlsGood },
    );
  }, 60_000);

  it('a known-bad mutation of a correct TLS-only deny always fails', () => {
    fc.assert(
      fc.property(
        tlsGood.filter((form) => form.explicit),
        fc.constantFrom<TlsMutation>('effect-allow', 'no-bucket', 'no-objects', 'secure-transport-true'),
        fc.constantFrom<unknown>('true', true, ['true'], 'TRUE'),
        bigAllows,
        fc.boolean(),
        ({ statements }, mutation, trueValue, extra, single) => {
          note('TLS-only: known-bad mutations fail', 1);
          const policy = wrap(mutateTls(statements, mutation, trueValue), extra, single, 0);
          const answer = evaluateAll(policy).tls;
          expect(answer, `${mutation}: ${policy.slice(0, 2000)}`).toMatchObject({ compliant: false });
        },
      ),
      { numRuns: RUNS.tlsBad },
    );
  }, 60_000);

  it('a correct required-key deny passes in every equivalent form', () => {
    fc.assert(
      fc.property(keyGood, bigAllows, fc.boolean(), (statement, extra, single) => {
        note('required key: known-good forms pass', 1);
        const policy = wrap([statement], extra, single, 0);
        expect(evaluateAll(policy).key, policy.slice(0, 2000)).toMatchObject({ compliant: true });
      }),
      { numRuns: RUNS.keyGood },
    );
  }, 60_000);

  it('a known-bad mutation of a correct required-key deny always fails', () => {
    fc.assert(
      fc.property(
        keyGood,
        fc.constantFrom<KeyMutation>('effect-allow', 'bucket-only', 'non-negated-operator', 'second-key', 'principal-one-role'),
        bigAllows,
        (statement, mutation, extra) => {
          note('required key: known-bad mutations fail', 1);
          const policy = wrap([mutateKey(statement, mutation)], extra, false, 0);
          expect(evaluateAll(policy).key, `${mutation}: ${policy.slice(0, 2000)}`).toMatchObject({ compliant: false });
        },
      ),
      { numRuns: RUNS.keyBad },
    );
  }, 60_000);

  it('a key policy that separates administrators from users is separated in every form', () => {
    fc.assert(
      fc.property(roleGood, fc.boolean(), (statements, single) => {
        note('role separation: separated policies pass', 1);
        const policy = wrap(statements, [], single, 2);
        expect(evaluateAll(policy).role, policy).toEqual({ kind: 'separated' });
      }),
      { numRuns: RUNS.roleGood },
    );
  }, 60_000);

  it('a principal granted both administration and decryption is always reported', () => {
    fc.assert(
      fc.property(roleGood, fc.constantFrom<RoleMutation>('admin-decrypts', 'user-administers', 'admin-kms-star', 'everyone-both'), (statements, mutation) => {
        note('role separation: overlaps reported', 1);
        const mutated = mutateRole(statements, mutation);
        const policy = wrap(mutated.statements, [], false, 0);
        const answer = evaluateAll(policy).role;
        expect(answer.kind, `${mutation}: ${policy}`).toBe('overlap');
        if (answer.kind === 'overlap') expect(answer.overlaps.map((overlap) => overlap.principal)).toContain(mutated.principal);
      }),
      { numRuns: RUNS.roleBad },
    );
  }, 60_000);
});
