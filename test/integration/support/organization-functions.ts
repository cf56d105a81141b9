import { INTEGRATIONS } from '../../../infra/organization/audit-state-machine.mjs';
import { motoEnvironment, TEST_REGION } from './moto-server.js';
import type { CentralResources } from './organization-estate.js';
import { MEMBER_ROLE_NAME, REPORTS_PREFIX, REQUIRED_ALIAS } from './organization-estate.js';
import { startFunctionPool, type FunctionInvocation, type FunctionPool } from './organization-lambda-pool.js';

/**
 * The organization audit's three functions from their built bundles, each in a pool of Lambda
 * execution environments, and what the state machine driver needs to run the audit's definition
 * on them: the DefinitionSubstitutions CloudFormation would make, and an `invoke` that fails as
 * Lambda fails (a function error is thrown with its errorType as its name).
 */
export const ORGANIZATION_FUNCTIONS = ['list-organization-accounts', 'audit-member-account', 'merge-organization-audit'] as const;
export type OrganizationFunctionName = (typeof ORGANIZATION_FUNCTIONS)[number];

export interface RecordedInvocation extends FunctionInvocation {
  readonly functionName: OrganizationFunctionName;
  readonly payload: unknown;
}

export type Invoke = (functionArn: string, payload: unknown) => Promise<unknown>;

export interface OrganizationFunctions {
  readonly pools: Readonly<Record<OrganizationFunctionName, FunctionPool>>;
  readonly arns: Readonly<Record<OrganizationFunctionName, string>>;
  readonly substitutions: Readonly<Record<string, string>>;
  /** Every invocation that reached a bundle, in the order they ended. */
  readonly invocations: readonly RecordedInvocation[];
  readonly invoke: Invoke;
  stop(): Promise<void>;
}

/**
 * The environment the central stack gives all three functions, on moto, with STS behind
 * `endpoints.sts` (and SNS behind `endpoints.sns`, when given); `policy` is the stack's POLICY.
 */
export const organizationFunctionEnvironment = (
  central: CentralResources,
  endpoints: { readonly moto: string; readonly sts: string; readonly sns?: string | undefined },
  policy?: unknown,
): Record<string, string> => ({
  ...motoEnvironment(endpoints.moto),
  AWS_ENDPOINT_URL_STS: endpoints.sts,
  ...(endpoints.sns === undefined ? {} : { AWS_ENDPOINT_URL_SNS: endpoints.sns }),
  ...(policy === undefined ? {} : { POLICY: JSON.stringify(policy) }),
  REQUIRED_KMS_KEY: REQUIRED_ALIAS,
  FINDINGS_TOPIC_ARN: central.topicArn,
  REPORTS_BUCKET: central.reportsBucket,
  REPORTS_PREFIX,
  REPORTS_KMS_KEY_ARN: central.reportsKeyArn,
  MEMBER_ROLE_NAME,
  AUDIT_REGIONS: TEST_REGION,
});

/** A function's error as the driver receives it from Lambda: errorType and errorMessage. */
export const functionError = (errorType: string, errorMessage: string): Error => Object.assign(new Error(errorMessage), { name: errorType });

export const startOrganizationFunctions = (
  env: Record<string, string>,
  options: { readonly maxConcurrency: number; readonly auditEnvironments?: number },
): OrganizationFunctions => {
  const pools = {
    'list-organization-accounts': startFunctionPool('list-organization-accounts', { env, maxEnvironments: 1 }),
    'audit-member-account': startFunctionPool('audit-member-account', { env, maxEnvironments: options.auditEnvironments ?? options.maxConcurrency + 1 }),
    'merge-organization-audit': startFunctionPool('merge-organization-audit', { env, maxEnvironments: 1 }),
  } satisfies Record<OrganizationFunctionName, FunctionPool>;
  const arns = Object.fromEntries(ORGANIZATION_FUNCTIONS.map((name) => [name, pools[name].functionArn])) as Record<OrganizationFunctionName, string>;
  const invocations: RecordedInvocation[] = [];
  const invoke: Invoke = async (functionArn, payload) => {
    const functionName = ORGANIZATION_FUNCTIONS.find((name) => arns[name] === functionArn);
    if (!functionName) throw functionError('Lambda.ResourceNotFoundException', `Function not found: ${functionArn}`);
    const invocation = await pools[functionName].invoke(payload);
    invocations.push({ functionName, payload, ...invocation });
    if (invocation.error) throw functionError(invocation.error.errorType, invocation.error.errorMessage);
    return invocation.result;
  };
  return {
    pools,
    arns,
    substitutions: {
      ...Object.fromEntries(Object.entries(INTEGRATIONS).map(([placeholder, integration]) => [placeholder, `arn:aws:states:::${integration}`])),
      ListAccountsFunctionArn: arns['list-organization-accounts'],
      AuditMemberFunctionArn: arns['audit-member-account'],
      MergeFunctionArn: arns['merge-organization-audit'],
      MaxConcurrencyExpression: `{% ${options.maxConcurrency} %}`,
    },
    invocations,
    invoke,
    stop: async () => {
      await Promise.all(Object.values(pools).map((pool) => pool.stop()));
    },
  };
};
