import { GetParameterCommand, SSMClient, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SsmMemberDeploymentReader } from '../../../shared/adapters/ssm-member-deployment-reader.js';
import { AwsCallError } from '../../../shared/errors.js';

const ssm = mockClient(SSMClient);

beforeEach(() => ssm.reset());

const NAME = '/s3-encryption-enforcer/member';
const QUEUE = 'arn:aws:sqs:eu-west-1:111111111111:s3-encryption-enforcer';
const KEY = 'arn:aws:kms:eu-west-1:111111111111:key/0a1b2c3d-1111-2222-3333-444444444444';

const ssmError = (name: string, httpStatusCode = 400, message = name): SSMServiceException =>
  new SSMServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

/** A reader whose regional clients are recorded as they are asked for. */
const reader = () => {
  const regions: string[] = [];
  const deployments = new SsmMemberDeploymentReader((region) => {
    regions.push(region);
    return new SSMClient({ region });
  }, NAME);
  return { deployments, regions };
};

describe('SsmMemberDeploymentReader', () => {
  it('reads the member parameter with the client of the region asked about', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Type: 'String', Value: JSON.stringify({ schemaVersion: 1, region: 'eu-west-1', requiredKeyArn: KEY, enforcerQueueArn: QUEUE, version: '1.4.0' }) } });
    const { deployments, regions } = reader();

    await expect(deployments.deploymentIn('eu-west-1')).resolves.toEqual({ kind: 'deployed', region: 'eu-west-1', requiredKeyArn: KEY, enforcerQueueArn: QUEUE, version: '1.4.0' });

    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input)).toEqual([{ Name: NAME }]);
    expect(regions).toEqual(['eu-west-1']);
  });

  it('no parameter is no member stack in that region', async () => {
    ssm.on(GetParameterCommand).rejects(ssmError('ParameterNotFound'));

    await expect(reader().deployments.deploymentIn('ap-south-1')).resolves.toEqual({ kind: 'absent', region: 'ap-south-1' });
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: NAME });
  });

  it('a refused read is reported as unreadable, with the operation and the code', async () => {
    ssm.on(GetParameterCommand).rejects(ssmError('AccessDeniedException', 400, 'User: arn:aws:sts::111111111111:assumed-role/audit is not authorized to perform: ssm:GetParameter'));

    await expect(reader().deployments.deploymentIn('eu-west-1')).resolves.toEqual({
      kind: 'unreadable',
      region: 'eu-west-1',
      reason: 'GetParameter /s3-encryption-enforcer/member failed with AccessDeniedException',
    });
  });

  it('a parameter that is not what the member template writes is unreadable', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME, Value: '{"schemaVersion":1,' } });

    await expect(reader().deployments.deploymentIn('eu-west-1')).resolves.toEqual({ kind: 'unreadable', region: 'eu-west-1', reason: 'the member parameter is not JSON' });
  });

  it('a parameter without a value is unreadable', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: NAME } });

    await expect(reader().deployments.deploymentIn('eu-west-1')).resolves.toEqual({ kind: 'unreadable', region: 'eu-west-1', reason: '/s3-encryption-enforcer/member has no value' });
  });

  it.each([
    ['throttled', ssmError('ThrottlingException', 400, 'Rate exceeded'), 'ThrottlingException', 'GetParameter failed: ThrottlingException (HTTP 400): Rate exceeded'],
    ['failing on the service side', ssmError('InternalServerError', 500, 'internal'), 'InternalServerError', 'GetParameter failed: InternalServerError (HTTP 500): internal'],
  ])('throws when %s, for the account’s audit to be retried', async (_case, error, code, message) => {
    ssm.on(GetParameterCommand).rejects(error);

    const failure = await reader()
      .deployments.deploymentIn('eu-west-1')
      .catch((caught: unknown) => caught);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({ operation: 'GetParameter', code, transient: true, message, cause: error });
  });
});
