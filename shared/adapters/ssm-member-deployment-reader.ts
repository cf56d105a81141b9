import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseMemberDeployment, type MemberDeployment } from '../organization/member-deployment.js';
import type { MemberDeploymentReader } from '../ports/member-deployment-reader.js';
import { errorCode, toAwsCallError } from './aws-error.js';

/**
 * The member template's SSM parameter, read with the member's own credentials in each region. No
 * parameter means no member stack in that region; a refused read is reported as unreadable. A
 * failure that may pass (throttling, a 5xx) is thrown, for the account's audit to be retried.
 */
export class SsmMemberDeploymentReader implements MemberDeploymentReader {
  constructor(
    private readonly ssmIn: (region: string) => SSMClient,
    private readonly parameterName: string,
  ) {}

  async deploymentIn(region: string): Promise<MemberDeployment> {
    try {
      const { Parameter } = await this.ssmIn(region).send(new GetParameterCommand({ Name: this.parameterName }));
      if (Parameter?.Value === undefined) return { kind: 'unreadable', region, reason: `${this.parameterName} has no value` };
      return parseMemberDeployment(region, Parameter.Value);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ParameterNotFound') return { kind: 'absent', region };
      const failure = toAwsCallError('GetParameter', error);
      if (failure.transient) throw failure;
      return { kind: 'unreadable', region, reason: `GetParameter ${this.parameterName} failed with ${failure.code}` };
    }
  }
}
