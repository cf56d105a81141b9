import { describe, expect, it } from 'vitest';
import { enforcerTargetsOf, parseMemberDeployment } from '../../../shared/organization/member-deployment.js';

const QUEUE = 'arn:aws:sqs:eu-west-1:111111111111:s3-encryption-enforcer';
const FUNCTION = 'arn:aws:lambda:eu-west-1:111111111111:function:s3-encryption-enforcer:live';
const KEY = 'arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-1111-2222-3333-444444444444';

const parameter = (fields: Record<string, unknown>): string =>
  JSON.stringify({ schemaVersion: 1, region: 'eu-west-1', requiredKeyArn: KEY, enforcerQueueArn: QUEUE, enforcerFunctionArn: FUNCTION, version: '1.4.0', ...fields });

describe('parseMemberDeployment', () => {
  it('reads what the member template publishes', () => {
    expect(parseMemberDeployment('eu-west-1', parameter({}))).toEqual({
      kind: 'deployed',
      region: 'eu-west-1',
      requiredKeyArn: KEY,
      enforcerQueueArn: QUEUE,
      enforcerFunctionArn: FUNCTION,
      version: '1.4.0',
    });
  });

  it('leaves out what the stack does not have (an empty output), and a version that is not text', () => {
    expect(parseMemberDeployment('eu-west-1', parameter({ requiredKeyArn: '', enforcerFunctionArn: undefined, version: 14 }))).toEqual({
      kind: 'deployed',
      region: 'eu-west-1',
      enforcerQueueArn: QUEUE,
    });
  });

  it('is reported in the region it was read in, whatever region the document names', () => {
    expect(parseMemberDeployment('us-east-1', parameter({ region: 'eu-west-1' }))).toMatchObject({ kind: 'deployed', region: 'us-east-1' });
  });

  it.each([
    ['not JSON', '{schemaVersion:1', 'the member parameter is not JSON'],
    ['JSON but not an object', '[1]', 'the member parameter is not a JSON object'],
    ['null', 'null', 'the member parameter is not a JSON object'],
    ['another schema', parameter({ schemaVersion: 2 }), 'the member parameter has schemaVersion 2, not 1'],
    ['a schema as text', parameter({ schemaVersion: '1' }), 'the member parameter has schemaVersion "1", not 1'],
    ['a queue ARN that is a topic', parameter({ enforcerQueueArn: 'arn:aws:sns:eu-west-1:111111111111:topic' }), "the member parameter's enforcerQueueArn is not an ARN of that kind"],
    [
      'several ARNs that are not',
      parameter({ enforcerQueueArn: 42, enforcerFunctionArn: 'enforcer', requiredKeyArn: 'alias/data' }),
      "the member parameter's enforcerQueueArn, enforcerFunctionArn, requiredKeyArn is not an ARN of that kind",
    ],
  ])('reports, rather than trusts, a parameter that is %s', (_case, value, reason) => {
    expect(parseMemberDeployment('eu-west-1', value)).toEqual({ kind: 'unreadable', region: 'eu-west-1', reason });
  });
});

describe('enforcerTargetsOf', () => {
  it('gathers the enforcer’s queues and functions of every region it is deployed in, and nothing of the others', () => {
    const usQueue = 'arn:aws:sqs:us-east-1:111111111111:s3-encryption-enforcer';
    expect(
      enforcerTargetsOf([
        { kind: 'deployed', region: 'us-east-1', enforcerQueueArn: usQueue },
        { kind: 'absent', region: 'ap-south-1' },
        { kind: 'unreadable', region: 'sa-east-1', reason: 'GetParameter failed with AccessDeniedException' },
        { kind: 'deployed', region: 'eu-west-1', enforcerQueueArn: QUEUE, enforcerFunctionArn: FUNCTION },
        { kind: 'deployed', region: 'eu-central-1' },
      ]),
    ).toEqual({ queueArns: [usQueue, QUEUE], functionArns: [FUNCTION], topicArns: [] });
  });

  it('an account without the member stack anywhere has no enforcer', () => {
    expect(enforcerTargetsOf([{ kind: 'absent', region: 'us-east-1' }])).toEqual({ queueArns: [], functionArns: [], topicArns: [] });
  });
});
