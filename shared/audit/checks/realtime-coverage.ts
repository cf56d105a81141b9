import type { EnforcerTargets } from '../../config/audit-config.js';
import type { NotificationTarget } from '../audit-facts.js';
import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import type { BucketCheckInput } from './bucket-check-input.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['s3-realtime-coverage'];

/** Every way an object is created; the enforcer must hear of each (a copy can bring in an unencrypted object too). */
export const OBJECT_CREATED_EVENTS = [
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
] as const;

/** A function ARN with or without a version or alias qualifier names the same function. */
const unqualifiedFunction = (arn: string): string => arn.split(':').slice(0, 7).join(':');

const reachesEnforcer = (target: NotificationTarget, enforcer: EnforcerTargets): boolean => {
  switch (target.kind) {
    case 'queue':
      return enforcer.queueArns.includes(target.arn);
    case 'topic':
      return enforcer.topicArns.includes(target.arn);
    case 'function':
      return enforcer.functionArns.some((arn) => unqualifiedFunction(target.arn) === unqualifiedFunction(arn));
  }
};

const coversEvent = (events: readonly string[], event: string): boolean => events.includes(event) || events.includes('s3:ObjectCreated:*');

const describeTarget = (target: NotificationTarget): string => {
  const filter = target.filters.length > 0 ? ` for keys with ${target.filters.map((rule) => `${rule.name} "${rule.value}"`).join(' and ')}` : '';
  return `${target.kind} ${target.arn} (${target.events.join(', ') || 'no events'}${filter})`;
};

const regionOfArn = (arn: string): string => arn.split(':')[3] ?? '';

/** The enforcer targets a bucket in `region` can notify: S3 sends notifications within a region only. */
const enforcerText = (enforcer: EnforcerTargets, region: string): string => {
  const named = [...enforcer.queueArns, ...enforcer.functionArns, ...enforcer.topicArns];
  if (named.length === 0) return 'the enforcer (ENFORCER_QUEUE_ARN / ENFORCER_FUNCTION_ARN / ENFORCER_TOPIC_ARN not configured)';
  const here = named.filter((arn) => regionOfArn(arn) === region);
  return here.length > 0 ? here.join(' or ') : `the enforcer, which is not deployed in ${region} (it listens in ${[...new Set(named.map(regionOfArn))].sort().join(', ')})`;
};

/**
 * Covered: EventBridge notifications on (S3 then sends every object-created event to EventBridge;
 * the rule routing them to the enforcer is outside what this check can see), or unfiltered
 * notifications to the enforcer's queue, function or topic that together name every created event.
 */
export const checkRealtimeCoverage = ({ bucket, context }: BucketCheckInput): Finding => {
  const base = {
    resource: bucket.arn,
    region: bucket.region,
    expected: `EventBridge notifications on, or s3:ObjectCreated:* without a filter to ${enforcerText(context.enforcer, bucket.region)}`,
  };
  if (!bucket.notifications.ok) return errorFinding(CHECK, { error: bucket.notifications.error, ...base });
  const { eventBridge, targets } = bucket.notifications.value;
  if (eventBridge) {
    return makeFinding(CHECK, { status: 'passed', observed: 'EventBridge notifications are on (the EventBridge rule to the enforcer is not verified here)', ...base });
  }
  const toEnforcer = targets.filter((target) => reachesEnforcer(target, context.enforcer));
  const unfiltered = toEnforcer.filter((target) => target.filters.length === 0);
  const missing = OBJECT_CREATED_EVENTS.filter((event) => !unfiltered.some((target) => coversEvent(target.events, event)));
  if (toEnforcer.length > 0 && missing.length === 0) {
    return makeFinding(CHECK, { status: 'passed', observed: `object-created events go to ${unfiltered.map(describeTarget).join(' and ')}`, ...base });
  }
  const observed =
    toEnforcer.length === 0
      ? `no notification reaches the enforcer${targets.length > 0 ? `; the bucket notifies ${targets.map(describeTarget).join(', ')}` : ' and EventBridge notifications are off'}`
      : `notifications to the enforcer miss ${missing.join(', ')}: ${toEnforcer.map(describeTarget).join(', ')}`;
  return makeFinding(CHECK, { status: 'failed', observed, ...base });
};
