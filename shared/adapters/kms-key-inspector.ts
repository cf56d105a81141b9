import {
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { RotationFacts } from '../audit/audit-facts.js';
import type { KeyInspector, KeyRotationWriter } from '../ports/key-inspector.js';
import { toAwsCallError } from './aws-error.js';
import { KmsKeyDescriber } from './kms-key-describer.js';

/** The audit's view of a key: its identity (DescribeKey, as the enforcer reads it), rotation and policy. */
export class KmsKeyInspector extends KmsKeyDescriber implements KeyInspector, KeyRotationWriter {
  constructor(private readonly kmsClientIn: (region: string) => KMSClient) {
    super(kmsClientIn);
  }

  async rotation(keyArn: string, region: string): Promise<RotationFacts> {
    try {
      const answer = await this.kmsClientIn(region).send(new GetKeyRotationStatusCommand({ KeyId: keyArn }));
      return { enabled: answer.KeyRotationEnabled === true, ...(answer.RotationPeriodInDays !== undefined ? { periodDays: answer.RotationPeriodInDays } : {}) };
    } catch (error) {
      throw toAwsCallError('GetKeyRotationStatus', error);
    }
  }

  async policy(keyArn: string, region: string): Promise<string> {
    try {
      const answer = await this.kmsClientIn(region).send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }));
      return answer.Policy ?? '';
    } catch (error) {
      throw toAwsCallError('GetKeyPolicy', error);
    }
  }

  async enableRotation(keyArn: string, region: string, periodDays: number): Promise<void> {
    try {
      await this.kmsClientIn(region).send(new EnableKeyRotationCommand({ KeyId: keyArn, RotationPeriodInDays: periodDays }));
    } catch (error) {
      throw toAwsCallError('EnableKeyRotation', error);
    }
  }
}
