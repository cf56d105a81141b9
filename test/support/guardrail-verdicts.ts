import { tlsOnlyDenyStatement, wrongKeyDenyStatements, type GuardrailStatement } from '../../shared/prevention/guardrail-statements.js';
import { mergeGuardrails } from '../../shared/prevention/merge-policy.js';
import { organizationRcp } from '../../shared/prevention/resource-control-policy.js';
import { ANONYMOUS, evaluateS3Request, type S3Request } from './iam-oracle.js';
import { bucketArnOf, DATA_BUCKET, principalsOf, s3RequestMatrix, type BucketUnderTest, type OperationKind, type Transport, type UploadEncryptionName } from './s3-request-matrix.js';

/**
 * The table docs/AUDIT.md shows under "Guardrails (prevention)": every operation of the request matrix
 * under each guardrail, as the independent IAM evaluator (iam-oracle.ts) decides it. `npm run
 * docs:guardrails` writes it between the markers; test/unit/prevention/guardrail-verdicts-doc.test.ts
 * recomputes it and fails when the document holds anything else.
 */

export const GUARDRAIL_VERDICTS_DOCUMENT = 'docs/AUDIT.md';
export const GUARDRAIL_VERDICTS_START = '<!-- guardrail-verdicts:start -->';
export const GUARDRAIL_VERDICTS_END = '<!-- guardrail-verdicts:end -->';

export type Verdict = 'allowed' | 'denied';

export const GUARDRAIL_COLUMNS = [
  { id: 'none', heading: 'no guardrail' },
  { id: 'wrongKey', heading: 'wrong-key Denies' },
  { id: 'tls', heading: 'TLS only' },
  { id: 'bucket', heading: 'all bucket guardrails' },
  { id: 'rcp', heading: 'organization RCP' },
] as const;

export type GuardrailColumn = (typeof GUARDRAIL_COLUMNS)[number]['id'];

export interface VerdictRow {
  /** The matrix's own name for the operation. */
  readonly operation: string;
  readonly kind: OperationKind;
  readonly transport: Transport;
  readonly encryption?: UploadEncryptionName | undefined;
  readonly verdicts: Readonly<Record<GuardrailColumn, Verdict>>;
}

/** DSSE-KMS under the required key is accepted, as the default POLICY has it (`acceptDsseKms` true). */
const ACCEPT_DSSE_KMS = true;

/** What is judged in one column: the bucket policy S3 holds, and the RCPs above the account. */
interface Setting {
  readonly bucketPolicy: string;
  readonly rcps: readonly Record<string, unknown>[];
}

/** The bucket policy before any guardrail: only the grant the matrix uses, the grantee account's read. */
const ownerPolicyOf = (bucket: BucketUnderTest): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'PartnerReadOnly',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${bucket.granteeAccount}:root` },
        Action: 's3:GetObject',
        Resource: `${bucketArnOf(bucket)}/*`,
      },
    ],
  });

/** Identity policies: the bucket account's roles may do anything in S3; the grantee's role may read anything. */
const identityPoliciesOf = (bucket: BucketUnderTest, principal: string): Record<string, unknown>[] => {
  if (principal === ANONYMOUS) return [];
  const action = principal === principalsOf(bucket).grantee ? 's3:GetObject' : 's3:*';
  return [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] }];
};

/** The owner's policy with the guardrails merged in, as the fixes write it. */
const withGuardrails = (bucket: BucketUnderTest, statements: readonly GuardrailStatement[]): string => {
  const outcome = mergeGuardrails(ownerPolicyOf(bucket), statements, { bucket: bucket.name, partition: 'aws' });
  if (outcome.kind !== 'changed') throw new Error(`merging the guardrails into the owner's policy should change it: ${JSON.stringify(outcome)}`);
  return outcome.policy;
};

const settingsOf = (bucket: BucketUnderTest): Readonly<Record<GuardrailColumn, Setting>> => {
  const target = { bucket: bucket.name, partition: 'aws' } as const;
  const wrongKey = wrongKeyDenyStatements({ ...target, requiredKeyArn: bucket.requiredKey.arn, acceptDsseKms: ACCEPT_DSSE_KMS });
  const tls = tlsOnlyDenyStatement(target);
  const rcp = organizationRcp({ requiredKeyArn: bucket.requiredKey.arn, acceptDsseKms: ACCEPT_DSSE_KMS });
  return {
    none: { bucketPolicy: ownerPolicyOf(bucket), rcps: [] },
    wrongKey: { bucketPolicy: withGuardrails(bucket, wrongKey), rcps: [] },
    tls: { bucketPolicy: withGuardrails(bucket, [tls]), rcps: [] },
    bucket: { bucketPolicy: withGuardrails(bucket, [...wrongKey, tls]), rcps: [] },
    rcp: { bucketPolicy: ownerPolicyOf(bucket), rcps: [rcp as unknown as Record<string, unknown>] },
  };
};

const decide = async (bucket: BucketUnderTest, { bucketPolicy, rcps }: Setting, request: S3Request): Promise<Verdict> => {
  const { decision } = await evaluateS3Request({
    bucketPolicy,
    identityPolicies: identityPoliciesOf(bucket, request.principal),
    rcps: rcps.length === 0 ? [] : [{ policies: rcps }],
    request,
  });
  return decision === 'Allowed' ? 'allowed' : 'denied';
};

/** Every operation of the matrix under every column; an operation of several requests is denied if any of them is. */
export const guardrailVerdicts = async (bucket: BucketUnderTest = DATA_BUCKET): Promise<readonly VerdictRow[]> => {
  const settings = settingsOf(bucket);
  return Promise.all(
    s3RequestMatrix(bucket).map(async (operation): Promise<VerdictRow> => {
      const entries = await Promise.all(
        GUARDRAIL_COLUMNS.map(async ({ id }) => {
          const verdicts = await Promise.all(operation.requests.map((request) => decide(bucket, settings[id], request)));
          return [id, verdicts.includes('denied') ? 'denied' : 'allowed'] as const;
        }),
      );
      return {
        operation: operation.name,
        kind: operation.kind,
        transport: operation.transport,
        encryption: operation.encryption,
        verdicts: Object.fromEntries(entries) as Record<GuardrailColumn, Verdict>,
      };
    }),
  );
};

const cell = (text: string): string => text.replaceAll('|', '\\|');

/** The legend and the table, as they stand between the markers. */
export const renderGuardrailVerdicts = (rows: readonly VerdictRow[], bucket: BucketUnderTest = DATA_BUCKET): string => {
  const legend = [
    `_Generated by \`npm run docs:guardrails\` from the decisions of an independent IAM evaluator, [\`@cloud-copilot/iam-simulate\`](https://github.com/cloud-copilot/iam-simulate); do not edit by hand._`,
    '',
    `Each row is a request to bucket \`${bucket.name}\` in account ${bucket.account} that the caller's own IAM policies allow: the uploader, administrator and enforcer are roles of that account; the grantee is a role in ${bucket.granteeAccount}, which the bucket policy grants \`s3:GetObject\` on every object. The required key is \`${bucket.requiredKey.arn}\`, and DSSE-KMS is accepted (\`acceptDsseKms\`, on by default in \`POLICY\`); without it, the DSSE-KMS uploads are refused as AES256 is.`,
    '',
    "- **no guardrail**: the bucket policy holds only the grantee's read grant.",
    '- **wrong-key Denies**: that policy with `EnforcerDenyNonKmsEncryption`, `EnforcerDenyAwsManagedKey` and `EnforcerDenyOtherKmsKeys`.',
    '- **TLS only**: that policy with `EnforcerDenyInsecureTransport`.',
    '- **all bucket guardrails**: that policy with all four.',
    '- **organization RCP**: the grant-only bucket policy, under the RCP `enforcer prevention rcp --required-key ARN --accept-dsse-kms` prints for the same key.',
    '',
    '**allowed** or **denied** is the evaluator\'s decision; denied includes "no policy grants it". The remediation copy is two IAM requests (`s3:PutObject` on the object, `s3:GetObject` on its source) and is denied if either is. SSE-C is blocked in a bucket by its encryption configuration (`BlockedEncryptionTypes`), which is not a policy: the bucket columns show what the policies alone decide.',
  ];
  const header = `| operation | ${GUARDRAIL_COLUMNS.map(({ heading }) => heading).join(' | ')} |`;
  const rule = `|---|${GUARDRAIL_COLUMNS.map(() => '---').join('|')}|`;
  const body = rows.map((row) => `| ${cell(row.operation)} | ${GUARDRAIL_COLUMNS.map(({ id }) => row.verdicts[id]).join(' | ')} |`);
  return [...legend, '', header, rule, ...body].join('\n');
};

const markerPositions = (document: string): { readonly from: number; readonly to: number } => {
  const count = (marker: string): number => document.split(marker).length - 1;
  for (const marker of [GUARDRAIL_VERDICTS_START, GUARDRAIL_VERDICTS_END]) {
    if (count(marker) !== 1) throw new Error(`${GUARDRAIL_VERDICTS_DOCUMENT} must hold ${marker} exactly once (it holds it ${count(marker)} times)`);
  }
  const from = document.indexOf(GUARDRAIL_VERDICTS_START) + GUARDRAIL_VERDICTS_START.length;
  const to = document.indexOf(GUARDRAIL_VERDICTS_END);
  if (to < from) throw new Error(`${GUARDRAIL_VERDICTS_DOCUMENT}: ${GUARDRAIL_VERDICTS_END} comes before ${GUARDRAIL_VERDICTS_START}`);
  return { from, to };
};

/** What stands between the markers: the rendered table, a blank line either side. */
export const guardrailVerdictsBlock = (rendered: string): string => `\n\n${rendered}\n\n`;

/** What the document holds between the markers, exactly. */
export const guardrailVerdictsIn = (document: string): string => {
  const { from, to } = markerPositions(document);
  return document.slice(from, to);
};

/** The document with `rendered` between the markers, and nothing else changed. */
export const withGuardrailVerdicts = (document: string, rendered: string): string => {
  const { from, to } = markerPositions(document);
  return `${document.slice(0, from)}${guardrailVerdictsBlock(rendered)}${document.slice(to)}`;
};

/**
 * The names of the matrix's operations a bucket policy lets through, each of whose requests the evaluator
 * allows (with the identity grants above), over HTTPS only when `httpsOnly`.
 */
export const operationsAllowedBy = async (bucket: BucketUnderTest, bucketPolicy: string, { httpsOnly = false } = {}): Promise<string[]> => {
  const allowed: string[] = [];
  for (const operation of s3RequestMatrix(bucket)) {
    if (httpsOnly && operation.transport !== 'HTTPS') continue;
    const verdicts = await Promise.all(operation.requests.map((request) => decide(bucket, { bucketPolicy, rcps: [] }, request)));
    if (!verdicts.includes('denied')) allowed.push(operation.name);
  }
  return allowed;
};

/** What a bucket under the wrong-key and TLS-only guardrails (DSSE-KMS accepted) still lets through: every one of these over HTTPS, nothing over HTTP but what the owner's grants allowed. */
export const ALLOWED_UNDER_BUCKET_GUARDRAILS = [
  'PutObject, no encryption headers, over HTTPS',
  "PutObject, aws:kms with the required key's ARN, over HTTPS",
  "PutObject, DSSE-KMS with the required key's ARN, over HTTPS",
  // Refused by the encryption configuration's BlockedEncryptionTypes, which a bucket policy does not carry.
  'PutObject, SSE-C (customer algorithm AES256), over HTTPS',
  'GetObject by the grantee in 444455556666, over HTTPS',
  'PutBucketPolicy by the administrator, over HTTPS',
  'PutEncryptionConfiguration by the administrator, over HTTPS',
  'DeleteBucketPolicy by the administrator, over HTTPS',
  "The enforcer's remediation copy (CopyObject in place under the required key), over HTTPS",
] as const;
