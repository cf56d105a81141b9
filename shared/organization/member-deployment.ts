import type { EnforcerTargets } from '../config/audit-config.js';

/**
 * What the member template publishes in each region it is deployed to (an SSM parameter), for the
 * organization audit to know that member's enforcer there.
 */
export type MemberDeployment =
  | {
      readonly kind: 'deployed';
      readonly region: string;
      readonly requiredKeyArn?: string | undefined;
      readonly enforcerQueueArn?: string | undefined;
      readonly enforcerFunctionArn?: string | undefined;
      readonly version?: string | undefined;
    }
  | { readonly kind: 'absent'; readonly region: string }
  | { readonly kind: 'unreadable'; readonly region: string; readonly reason: string };

const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,80}$/;
const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:key\/[A-Za-z0-9-]+$/;

/**
 * The parameter's value: `{"schemaVersion":1,"region":…,"requiredKeyArn":…,"enforcerQueueArn":…,
 * "enforcerFunctionArn":…,"version":…}`. A value that is not that is reported, not trusted.
 */
export const parseMemberDeployment = (region: string, value: string): MemberDeployment => {
  let document: unknown;
  try {
    document = JSON.parse(value);
  } catch {
    return { kind: 'unreadable', region, reason: 'the member parameter is not JSON' };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return { kind: 'unreadable', region, reason: 'the member parameter is not a JSON object' };
  const fields = document as Record<string, unknown>;
  if (fields['schemaVersion'] !== 1) return { kind: 'unreadable', region, reason: `the member parameter has schemaVersion ${JSON.stringify(fields['schemaVersion'])}, not 1` };
  const arn = (name: string, pattern: RegExp): string | undefined | false => {
    const field = fields[name];
    if (field === undefined || field === '') return undefined;
    return typeof field === 'string' && pattern.test(field) ? field : false;
  };
  const queue = arn('enforcerQueueArn', QUEUE_ARN);
  const fn = arn('enforcerFunctionArn', FUNCTION_ARN);
  const key = arn('requiredKeyArn', KEY_ARN);
  const invalid = [queue === false && 'enforcerQueueArn', fn === false && 'enforcerFunctionArn', key === false && 'requiredKeyArn'].filter(Boolean);
  if (invalid.length > 0) return { kind: 'unreadable', region, reason: `the member parameter's ${invalid.join(', ')} is not an ARN of that kind` };
  return {
    kind: 'deployed',
    region,
    ...(key ? { requiredKeyArn: key } : {}),
    ...(queue ? { enforcerQueueArn: queue } : {}),
    ...(fn ? { enforcerFunctionArn: fn } : {}),
    ...(typeof fields['version'] === 'string' ? { version: fields['version'] } : {}),
  };
};

/** Where the member's enforcer listens, region by region: its targets, to judge s3-realtime-coverage by. */
export const enforcerTargetsOf = (deployments: readonly MemberDeployment[]): EnforcerTargets => {
  const deployed = deployments.flatMap((deployment) => (deployment.kind === 'deployed' ? [deployment] : []));
  return {
    queueArns: deployed.flatMap((deployment) => (deployment.enforcerQueueArn ? [deployment.enforcerQueueArn] : [])),
    functionArns: deployed.flatMap((deployment) => (deployment.enforcerFunctionArn ? [deployment.enforcerFunctionArn] : [])),
    topicArns: [],
  };
};
