import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GUARDRAIL_SID, tlsOnlyDenyStatement, wrongKeyDenyStatements } from '../../../shared/prevention/guardrail-statements.js';
import { mergeGuardrails } from '../../../shared/prevention/merge-policy.js';

const TARGET = { bucket: 'data-bucket', partition: 'aws' } as const;
const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const GUARDRAILS = [...wrongKeyDenyStatements({ ...TARGET, requiredKeyArn: REQUIRED, acceptDsseKms: false }), tlsOnlyDenyStatement(TARGET)];
const OUR_SIDS = new Set<string>(Object.values(GUARDRAIL_SID));

/** Statements a bucket policy holds in practice: grants, object-level Denies, odd spellings and JSON values. */
const arbStatement = fc.record(
  {
    Sid: fc.string({ maxLength: 12 }).filter((sid) => !OUR_SIDS.has(sid)),
    Effect: fc.constantFrom('Allow', 'Deny'),
    Principal: fc.oneof(
      fc.constant('*'),
      fc.record({ AWS: fc.constantFrom('arn:aws:iam::210987654321:root', 'arn:aws:iam::123456789012:role/app', ['arn:aws:iam::210987654321:role/a', 'arn:aws:iam::210987654321:role/b']) }),
      fc.record({ Service: fc.constantFrom('cloudfront.amazonaws.com', 'logging.s3.amazonaws.com') }),
    ),
    Action: fc.oneof(fc.constantFrom('s3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:DeleteObject'), fc.array(fc.constantFrom('s3:GetObject', 's3:GetObjectTagging', 's3:PutObjectAcl'), { minLength: 1, maxLength: 3 })),
    Resource: fc.constantFrom('arn:aws:s3:::data-bucket/*', ['arn:aws:s3:::data-bucket', 'arn:aws:s3:::data-bucket/*'], 'arn:aws:s3:::data-bucket/logs/*'),
    Condition: fc.dictionary(
      fc.constantFrom('StringEquals', 'IpAddress', 'NumericLessThan', 'Bool'),
      fc.dictionary(fc.constantFrom('aws:SourceIp', 'aws:PrincipalOrgID', 's3:signatureAge', 'aws:SecureTransport'), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 })), {
        minKeys: 1,
        maxKeys: 2,
      }),
      { maxKeys: 2 },
    ),
  },
  { requiredKeys: ['Effect', 'Principal', 'Action', 'Resource'] },
);

const arbPolicy = fc.record(
  {
    Version: fc.constantFrom('2012-10-17', '2008-10-17'),
    Id: fc.string({ maxLength: 20 }),
    Statement: fc.oneof(arbStatement, fc.array(arbStatement, { minLength: 1, maxLength: 6 })),
  },
  { requiredKeys: ['Statement'] },
);

describe('mergeGuardrails, over generated bucket policies', () => {
  it("keeps every statement and top-level value, appends the guardrails, and a second run changes nothing", () => {
    fc.assert(
      fc.property(arbPolicy, fc.boolean(), (policy, pretty) => {
        const outcome = mergeGuardrails(JSON.stringify(policy, null, pretty ? 2 : undefined), GUARDRAILS, TARGET);
        if (outcome.kind !== 'changed') throw new Error(`expected a change, got ${JSON.stringify(outcome)}`);
        const existing = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
        // Byte for byte: the same values, keys in the same order, the guardrails after them.
        expect(outcome.policy).toBe(JSON.stringify({ ...policy, Statement: [...existing, ...GUARDRAILS] }));
        expect(Object.keys(JSON.parse(outcome.policy) as object)).toEqual(Object.keys(policy));
        expect(mergeGuardrails(outcome.policy, GUARDRAILS, TARGET)).toEqual({ kind: 'unchanged' });
      }),
    );
  });
});
