/**
 * An IAM policy evaluator that is not ours, to judge bucket policies, RCPs and the audit's own readings of
 * them: @cloud-copilot/iam-simulate, which evaluates identity, resource, SCP and RCP policies with every
 * condition operator and names the statements that decided.
 *
 * Test-time only. Its licence is AGPL-3.0-or-later: it is a devDependency, imported from test/ alone, and
 * never bundled into what the project ships (function bundles, the CLI, templates). Bundling it would put
 * the shipped code under the AGPL. test/unit/prevention/oracle-not-shipped.test.ts fails if any shipped
 * source or built file mentions it.
 */
import { anonymousPrincipal, getDenialReasons, getGrantReasons, runSimulation, type RequestAnalysis, type Simulation } from '@cloud-copilot/iam-simulate';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** The principal of an unsigned request. */
export const ANONYMOUS = 'anonymous';

type PolicyDocument = string | Readonly<Record<string, unknown>>;

/** Request context: a key that is not here is absent from the request, which is what IfExists and Null test. */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

export interface S3Request {
  /** An IAM role, user or account-root ARN, or ANONYMOUS. */
  readonly principal: string;
  /** `s3:PutObject`, `s3:GetObject`, `s3:PutBucketPolicy`, … */
  readonly action: string;
  /** A bucket ARN (`arn:aws:s3:::bucket`) or an object ARN (`arn:aws:s3:::bucket/key`), without wildcards. */
  readonly resource: string;
  /** The account that owns the bucket. */
  readonly resourceAccount: string;
  /**
   * Must hold `aws:SecureTransport` (AWS always includes it). `aws:PrincipalArn`, `aws:PrincipalAccount` and
   * `aws:ResourceAccount` are derived from the principal and resource unless given.
   */
  readonly context: RequestContext;
}

export interface OrganizationLevelPolicies {
  /** The root, OU or account the policies are attached to. */
  readonly orgId?: string;
  readonly policies: readonly PolicyDocument[];
}

export interface S3RequestEvaluation {
  readonly bucketPolicy?: PolicyDocument | undefined;
  /** One entry per level from the root down; AWS's RCPFullAWSAccess is implied at each level. */
  readonly rcps?: readonly OrganizationLevelPolicies[];
  /** The principal's identity policies (none for an anonymous request). */
  readonly identityPolicies?: readonly PolicyDocument[];
  readonly request: S3Request;
}

export interface S3Verdict {
  readonly decision: Decision;
  /** The statements that decided, for failure messages. */
  readonly explain?: string;
}

/** The evaluator refused the input (an invalid policy, action, resource or context key): a broken test, not a verdict. */
export class OracleInputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OracleInputError';
  }
}

const SECURE_TRANSPORT = 'aws:securetransport';
const DEFAULT_ORG_LEVEL = 'r-root';

/** A plain JSON copy: fields set to undefined disappear, as they would from a document S3 stores. */
const document = (policy: PolicyDocument): Record<string, unknown> =>
  typeof policy === 'string' ? (JSON.parse(policy) as Record<string, unknown>) : (JSON.parse(JSON.stringify(policy)) as Record<string, unknown>);

const accountOf = (arn: string): string | undefined => {
  const account = arn.split(':')[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
};

const contextOf = (request: S3Request): Record<string, string | string[]> => {
  const given = new Set(Object.keys(request.context).map((key) => key.toLowerCase()));
  if (!given.has(SECURE_TRANSPORT)) throw new OracleInputError('aws:SecureTransport is in every S3 request context: say whether the request used TLS');
  const derived: Record<string, string> = { 'aws:ResourceAccount': request.resourceAccount };
  if (request.principal === ANONYMOUS) {
    derived['aws:PrincipalAccount'] = 'anonymous';
  } else {
    derived['aws:PrincipalArn'] = request.principal;
    const account = accountOf(request.principal);
    if (account !== undefined) derived['aws:PrincipalAccount'] = account;
  }
  const context: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(derived)) if (!given.has(key.toLowerCase())) context[key] = value;
  for (const [key, value] of Object.entries(request.context)) context[key] = typeof value === 'string' ? value : [...value];
  return context;
};

const simulationOf = ({ bucketPolicy, rcps = [], identityPolicies = [], request }: S3RequestEvaluation): Simulation => {
  if (request.resource.includes('*')) throw new OracleInputError(`evaluate one resource, not a pattern: ${request.resource}`);
  if (request.principal === ANONYMOUS && identityPolicies.length > 0) throw new OracleInputError('an anonymous request has no identity policies');
  return {
    request: {
      principal: request.principal === ANONYMOUS ? anonymousPrincipal : request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: contextOf(request),
    },
    identityPolicies: identityPolicies.map((policy, index) => ({ name: `identity-${index + 1}`, policy: document(policy) })),
    serviceControlPolicies: [],
    resourceControlPolicies: rcps.map((level, levelIndex) => ({
      orgIdentifier: level.orgId ?? (levelIndex === 0 ? DEFAULT_ORG_LEVEL : `level-${levelIndex + 1}`),
      policies: level.policies.map((policy, index) => ({ name: `rcp-${levelIndex + 1}-${index + 1}`, policy: document(policy) })),
    })),
    ...(bucketPolicy === undefined ? {} : { resourcePolicy: document(bucketPolicy) }),
  };
};

/** The evaluator numbers statements from 1. */
const statementName = (statementId: string | undefined, statementNumber: number): string =>
  statementId === undefined ? `statement ${statementNumber}` : `statement "${statementId}"`;

const explainOf = (analysis: RequestAnalysis): string => {
  if (analysis.result === 'Allowed') {
    const grants = getGrantReasons(analysis).map((grant) => `${grant.policyType} ${statementName(grant.statementId, grant.statementIndex)}`);
    return `allowed by ${grants.join(', ') || 'the account'}`;
  }
  const denials = getDenialReasons(analysis).map((denial) =>
    denial.denialType === 'Explicit'
      ? `${denial.policyType} ${denial.policyIdentifier ? `${denial.policyIdentifier} ` : ''}${statementName(denial.statementId, denial.statementIndex)}`
      : `${denial.policyType} grants nothing`,
  );
  return `${analysis.result === 'ExplicitlyDenied' ? 'explicitly denied' : 'implicitly denied'} by ${denials.join(', ') || 'no grant'}`;
};

/**
 * The evaluator's decision on one S3 request. Refuses (OracleInputError) what it cannot judge faithfully:
 * an invalid policy, an unknown action, a wildcard resource, or a context key that does not apply to the
 * action (a misspelt or misplaced key would otherwise be dropped in silence and the request judged without it).
 */
export const evaluateS3Request = async (evaluation: S3RequestEvaluation): Promise<S3Verdict> => {
  const simulation = simulationOf(evaluation);
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new OracleInputError(`the evaluator refused the request: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new OracleInputError(`expected one resource, got ${result.resultType}`);
  const ignored = result.result.ignoredContextKeys ?? [];
  if (ignored.length > 0) {
    throw new OracleInputError(`context keys that do not apply to ${evaluation.request.action} on ${evaluation.request.resource}: ${ignored.join(', ')}`);
  }
  return { decision: result.overallResult, explain: explainOf(result.result.analysis) };
};
