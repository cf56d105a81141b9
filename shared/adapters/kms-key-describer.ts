import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { parseKmsArn } from '../audit/key-arn.js';
import type { KeyDescriber, KeyDescriptionFacts } from '../ports/key-inspector.js';
import { errorCode, toAwsCallError } from './aws-error.js';

/**
 * DescribeKey, the one way the enforcer and the audit learn a key's identity and state. An unknown
 * key is a value (undefined), for both; anything else is thrown as an AwsCallError.
 */
export class KmsKeyDescriber implements KeyDescriber {
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
}
