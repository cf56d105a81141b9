import {
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { RotationFacts } from '../audit/audit-facts.js';
import { parseKmsArn } from '../audit/key-arn.js';
import type { KeyDescriptionFacts, KeyInspector, KeyRotationWriter } from '../ports/key-inspector.js';
import { errorCode, toAwsCallError } from './aws-error.js';

export class KmsKeyInspector implements KeyInspector, KeyRotationWriter {
  constructor(private readonly kmsIn: (region: string) => KMSClient) {}

  async describe(reference: string, region: string): Promise<KeyDescriptionFacts | undefined> {
    try {
      const { KeyMetadata: key } = await this.kmsIn(region).send(new DescribeKeyCommand({ KeyId: reference }));
      if (!key?.Arn) throw new Error(`DescribeKey returned no ARN for ${reference}`);
      const parts = parseKmsArn(key.Arn);
      const multiRegion = key.MultiRegionConfiguration;
      return {
        arn: key.Arn,
        keyId: key.KeyId ?? parts?.name ?? '',
        region: parts?.region ?? region,
        accountId: key.AWSAccountId ?? parts?.accountId ?? '',
        state: key.KeyState ?? 'Unknown',
        manager: key.KeyManager ?? 'Unknown',
        keySpec: key.KeySpec ?? key.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT',
        keyUsage: key.KeyUsage ?? 'ENCRYPT_DECRYPT',
        origin: key.Origin ?? 'AWS_KMS',
        ...(key.CustomKeyStoreId ? { customKeyStoreId: key.CustomKeyStoreId } : {}),
        ...(key.MultiRegion && multiRegion?.MultiRegionKeyType
          ? { multiRegionType: multiRegion.MultiRegionKeyType, primaryArn: multiRegion.PrimaryKey?.Arn }
          : {}),
        ...(key.DeletionDate ? { deletionDate: key.DeletionDate.toISOString().slice(0, 10) } : {}),
      };
    } catch (error) {
      if (errorCode(error) === 'NotFoundException') return undefined;
      throw toAwsCallError('DescribeKey', error);
    }
  }

  async rotation(keyArn: string, region: string): Promise<RotationFacts> {
    try {
      const answer = await this.kmsIn(region).send(new GetKeyRotationStatusCommand({ KeyId: keyArn }));
      return { enabled: answer.KeyRotationEnabled === true, ...(answer.RotationPeriodInDays !== undefined ? { periodDays: answer.RotationPeriodInDays } : {}) };
    } catch (error) {
      throw toAwsCallError('GetKeyRotationStatus', error);
    }
  }

  async policy(keyArn: string, region: string): Promise<string> {
    try {
      const answer = await this.kmsIn(region).send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }));
      return answer.Policy ?? '';
    } catch (error) {
      throw toAwsCallError('GetKeyPolicy', error);
    }
  }

  async enableRotation(keyArn: string, region: string, periodDays: number): Promise<void> {
    try {
      await this.kmsIn(region).send(new EnableKeyRotationCommand({ KeyId: keyArn, RotationPeriodInDays: periodDays }));
    } catch (error) {
      throw toAwsCallError('EnableKeyRotation', error);
    }
  }
}
