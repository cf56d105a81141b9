import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../../shared/observability/powertools.js';
import { packageService, resource, resourcesOfType, statementsOf, type PackagedService, type Template } from './support/packaged-template.js';

// Packaged here, in beforeAll, from the "test" stage (watchedBuckets: two named buckets).
let packaged: PackagedService;
let template: Template;
beforeAll(() => {
  packaged = packageService();
  template = packaged.template;
}, 120_000);
afterAll(() => packaged?.dispose());

const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const ENFORCE_FUNCTION = 'EnforceDashobjectDashencryptionLambdaFunction';
const AUDIT_FUNCTION = 'AuditDashencryptionLambdaFunction';
const FOURTEEN_DAYS = 14 * 24 * 3600;

describe('S3 → EventBridge → SQS', () => {
  it('matches Object Created events of the watched buckets on the default bus', () => {
    const rule = resource(template, 'ObjectCreatedRule');
    expect(rule.Properties['EventBusName']).toBe('default');
    expect(rule.Properties['State']).toBe('ENABLED');
    expect(rule.Properties['EventPattern']).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['enforcer-example-data', 'enforcer-example-logs'] } },
    });
  });

  it('targets the enforcer queue, and dead-letters what it cannot deliver', () => {
    expect(resource(template, 'ObjectCreatedRule').Properties['Targets']).toEqual([
      {
        Id: 'enforcer-queue',
        Arn: getAtt('EnforcerQueue'),
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: getAtt('EnforcerDeadLetterQueue') },
      },
    ]);
  });

  it('lets only that rule send to the queue (events.amazonaws.com with aws:SourceArn), and only over TLS', () => {
    const policy = resource(template, 'EnforcerQueuePolicy');
    expect(policy.Properties['Queues']).toEqual([{ Ref: 'EnforcerQueue' }]);
    const [fromRule, fromS3, tlsOnly, ...others] = statementsOf(policy);
    expect(others).toEqual([]);
    expect(fromRule).toEqual({
      Sid: 'ObjectCreatedRuleSends',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: getAtt('EnforcerQueue'),
      Condition: { ArnEquals: { 'aws:SourceArn': getAtt('ObjectCreatedRule') } },
    });
    expect(tlsOnly).toEqual({
      Sid: 'DenyWithoutTls',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:*',
      Resource: getAtt('EnforcerQueue'),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    // The documented alternative: S3 notifications straight to the queue, only when asked for.
    expect(fromS3).toEqual({
      'Fn::If': [
        'S3NotificationsAllowed',
        {
          Sid: 'WatchedBucketNotificationsSend',
          Effect: 'Allow',
          Principal: { Service: 's3.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: getAtt('EnforcerQueue'),
          Condition: {
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            ArnLike: {
              'aws:SourceArn': [{ 'Fn::Sub': 'arn:${AWS::Partition}:s3:::enforcer-example-data' }, { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::enforcer-example-logs' }],
            },
          },
        },
        { Ref: 'AWS::NoValue' },
      ],
    });
    expect(template.Parameters['AllowS3Notifications']).toMatchObject({ Default: 'false' });
  });

  it('lets the same rule, and nothing else, write to the dead-letter queue', () => {
    const [fromRule, tlsOnly, ...others] = statementsOf(resource(template, 'EnforcerDeadLetterQueuePolicy'));
    expect(others).toEqual([]);
    expect(fromRule).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: getAtt('EnforcerDeadLetterQueue'),
      Condition: { ArnEquals: { 'aws:SourceArn': getAtt('ObjectCreatedRule') } },
    });
    expect(tlsOnly).toMatchObject({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  });
});

describe('the queues', () => {
  it('encrypts both queues at rest', () => {
    for (const queue of ['EnforcerQueue', 'EnforcerDeadLetterQueue']) {
      const { Properties } = resource(template, queue);
      expect(Properties['SqsManagedSseEnabled'] === true || Properties['KmsMasterKeyId'] !== undefined).toBe(true);
    }
  });

  it('keeps a message invisible for at least six times the function timeout, plus the batching window', () => {
    const timeout = resource(template, ENFORCE_FUNCTION).Properties['Timeout'] as number;
    const visibility = resource(template, 'EnforcerQueue').Properties['VisibilityTimeout'] as number;
    expect(timeout).toBe(300);
    expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
    expect(visibility).toBe(6 * timeout + 5);
  });

  it('moves a message to the dead-letter queue after 5 receives, and keeps dead letters longer than live ones', () => {
    const queue = resource(template, 'EnforcerQueue').Properties;
    const deadLetters = resource(template, 'EnforcerDeadLetterQueue').Properties;
    expect(queue['RedrivePolicy']).toEqual({ deadLetterTargetArn: getAtt('EnforcerDeadLetterQueue'), maxReceiveCount: 5 });
    expect(deadLetters['MessageRetentionPeriod']).toBe(FOURTEEN_DAYS);
    expect(deadLetters['MessageRetentionPeriod'] as number).toBeGreaterThan(queue['MessageRetentionPeriod'] as number);
  });
});

describe('SQS → the enforce function', () => {
  it('has one event source mapping, with batch size, batching window, maximum concurrency and partial batch responses', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toEqual({
      EventSourceArn: getAtt('EnforcerQueue'),
      FunctionName: getAtt(ENFORCE_FUNCTION),
      Enabled: true,
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 10 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('alarms', () => {
  it('notifies the findings topic as soon as a message reaches the dead-letter queue', () => {
    expect(resource(template, 'DeadLetterQueueAlarm').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('EnforcerDeadLetterQueue', 'QueueName') }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'FindingsTopic' }],
      OKActions: [{ Ref: 'FindingsTopic' }],
    });
  });

  it('notifies the findings topic of a stuck enforcer queue and of a failed audit', () => {
    expect(resource(template, 'EnforcerBacklogAlarm').Properties).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('EnforcerQueue', 'QueueName') }],
      AlarmActions: [{ Ref: 'FindingsTopic' }],
    });
    expect(resource(template, 'AuditErrorsAlarm').Properties).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: AUDIT_FUNCTION } }],
      AlarmActions: [{ Ref: 'FindingsTopic' }],
    });
  });

  it('notifies the findings topic when an object an event named was not found, from the metric the enforcer emits', () => {
    expect(resource(template, 'ObjectsGoneAlarm').Properties).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'ObjectsGone',
      // Powertools Metrics adds the service name as the `service` dimension of every metric.
      Dimensions: [{ Name: 'service', Value: 'enforce-object-encryption' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'FindingsTopic' }],
    });
  });

  it('every alarm acts on the findings topic, and nothing else', () => {
    for (const [, alarm] of resourcesOfType(template, 'AWS::CloudWatch::Alarm')) {
      expect(alarm.Properties['AlarmActions']).toEqual([{ Ref: 'FindingsTopic' }]);
    }
  });
});

describe('the audit schedule', () => {
  it('invokes the audit function on the AuditSchedule expression, nightly by default', () => {
    const schedules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) => rule.Properties['ScheduleExpression'] !== undefined);
    expect(schedules).toHaveLength(1);
    const [logicalId, schedule] = schedules[0] ?? [];
    expect(schedule?.Properties['ScheduleExpression']).toEqual({ Ref: 'AuditSchedule' });
    expect(schedule?.Properties['State']).toBe('ENABLED');
    expect(schedule?.Properties['Targets']).toEqual([expect.objectContaining({ Arn: getAtt(AUDIT_FUNCTION) })]);
    // cron(minute hour * * ? *): once a day.
    expect(template.Parameters['AuditSchedule']?.['Default']).toMatch(/^cron\(\d{1,2} \d{1,2} \* \* \? \*\)$/);

    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').map(([, permission]) => permission.Properties);
    expect(permissions).toContainEqual(
      expect.objectContaining({ Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction', SourceArn: getAtt(logicalId ?? '') }),
    );
  });

  it('gives the audit the longest timeout Lambda allows, for accounts with many buckets, and one retry', () => {
    expect(resource(template, AUDIT_FUNCTION).Properties['Timeout']).toBe(900);
    const [invokeConfig] = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
    expect(invokeConfig?.[1].Properties).toMatchObject({ FunctionName: { Ref: AUDIT_FUNCTION }, MaximumRetryAttempts: 1 });
  });
});
