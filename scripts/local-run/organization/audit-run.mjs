// The organization audit, run as Step Functions runs it: the real definition
// (infra/organization/audit-state-machine.mjs) with the DefinitionSubstitutions the central
// template makes, interpreted by tooling/state-machine-driver.mjs, each Task invoking its built
// bundle in the management account with the central stack's environment. The states run in the
// order, and hand on exactly the payloads, the definition gives them; STS goes through the
// lockout proxy, everything else to moto.
import { INTEGRATIONS, auditStateMachineDefinition } from '../../../infra/organization/audit-state-machine.mjs';
import { CENTRAL_FUNCTIONS, DEFAULT_MEMBER_ROLE_NAME, SERVICE } from '../../../infra/organization/release.mjs';
import { runStateMachine } from '../../../tooling/state-machine-driver.mjs';
import { MANAGEMENT_ACCOUNT, MANAGEMENT_CREDENTIALS, REGION, REQUIRED_ALIAS } from './estate.mjs';
import { invokeBundle } from './lambda-bundles.mjs';

/** @import { S3Client } from '@aws-sdk/client-s3' */
/** @import { RunResult } from '../../../tooling/state-machine-driver.mjs' */
/** @import { Central } from './estate.mjs' */
/** @import { BundleInvocation } from './lambda-bundles.mjs' */

/** @typedef {typeof CENTRAL_FUNCTIONS[number]} CentralFunction */
/** @typedef {BundleInvocation & { bundle: CentralFunction, payload: unknown }} AuditInvocation */

export const STATE_MACHINE_NAME = `${SERVICE}-organization-audit`;
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${MANAGEMENT_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;
/** Member audits at once: each in its own process, with its own /tmp. */
export const MAX_CONCURRENCY = 2;

/** @param {CentralFunction} bundle */
const functionNameOf = (bundle) => `${SERVICE}-${bundle}`;
/** @param {CentralFunction} bundle */
const functionArnOf = (bundle) => `arn:aws:lambda:${REGION}:${MANAGEMENT_ACCOUNT}:function:${functionNameOf(bundle)}`;

/**
 * What the central stack gives its three functions, on moto, with STS behind the proxy.
 * @param {Central} central
 * @param {{ moto: string, sts: string }} endpoints
 * @returns {Record<string, string>}
 */
const auditEnvironment = (central, endpoints) => ({
  AWS_ACCESS_KEY_ID: MANAGEMENT_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: MANAGEMENT_CREDENTIALS.secretAccessKey,
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  AWS_ENDPOINT_URL: endpoints.moto,
  AWS_ENDPOINT_URL_STS: endpoints.sts,
  S3_FORCE_PATH_STYLE: 'true',
  REQUIRED_KMS_KEY: REQUIRED_ALIAS,
  FINDINGS_TOPIC_ARN: central.topicArn,
  REPORTS_BUCKET: central.reportsBucket,
  REPORTS_KMS_KEY_ARN: central.reportsKeyArn,
  MEMBER_ROLE_NAME: DEFAULT_MEMBER_ROLE_NAME,
  AUDIT_REGIONS: REGION,
  POWERTOOLS_LOG_LEVEL: 'INFO',
});

/** The DefinitionSubstitutions of the central template, for these functions. */
const substitutions = () => ({
  ...Object.fromEntries(Object.entries(INTEGRATIONS).map(([placeholder, integration]) => [placeholder, `arn:aws:states:::${integration}`])),
  ListAccountsFunctionArn: functionArnOf('list-organization-accounts'),
  AuditMemberFunctionArn: functionArnOf('audit-member-account'),
  MergeFunctionArn: functionArnOf('merge-organization-audit'),
  MaxConcurrencyExpression: `{% ${MAX_CONCURRENCY} %}`,
});

/**
 * One execution, as the nightly schedule starts it.
 * @param {object} options
 * @param {Central} options.central
 * @param {{ moto: string, sts: string }} options.endpoints
 * @param {S3Client} options.s3 The management account's: the Map's ItemReader and ResultWriter.
 * @returns {Promise<{ run: RunResult, invocations: AuditInvocation[] }>}
 */
export const runOrganizationAudit = async ({ central, endpoints, s3 }) => {
  const env = auditEnvironment(central, endpoints);
  /** @type {AuditInvocation[]} */
  const invocations = [];
  /** Lambda's side of lambda:invoke: a function error reaches Retry and Catch by its errorType. */
  const invoke = async (/** @type {string} */ functionArn, /** @type {unknown} */ payload) => {
    const bundle = CENTRAL_FUNCTIONS.find((name) => functionArnOf(name) === functionArn);
    if (!bundle) throw Object.assign(new Error(`Function not found: ${functionArn}`), { name: 'Lambda.ResourceNotFoundException' });
    const invocation = await invokeBundle({ bundle, functionName: functionNameOf(bundle), account: MANAGEMENT_ACCOUNT, env, event: payload });
    invocations.push({ bundle, payload, ...invocation });
    if (invocation.error) throw Object.assign(new Error(invocation.error.errorMessage), { name: invocation.error.errorType });
    return invocation.result;
  };
  const startTime = new Date();
  const run = await runStateMachine({
    definition: auditStateMachineDefinition(),
    substitutions: substitutions(),
    input: {},
    executionName: `local-${startTime.toISOString().replace(/[:.]/g, '')}`,
    startTime,
    stateMachineArn: STATE_MACHINE_ARN,
    invoke,
    s3,
  });
  return { run, invocations };
};
