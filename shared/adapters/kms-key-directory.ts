import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyDescription, KeyDirectory } from '../ports/key-directory.js';
import { toAwsCallError } from './aws-error.js';

export class KmsKeyDirectory implements KeyDirectory {
  constructor(private readonly kms: KMSClient) {}

  async describe(reference: string): Promise<KeyDescription> {
    try {
      const { KeyMetadata: key } = await this.kms.send(new DescribeKeyCommand({ KeyId: reference }));
      if (!key?.Arn) throw new Error(`DescribeKey returned no ARN for ${reference}`);
      return { arn: key.Arn, state: key.KeyState ?? 'Unknown', manager: key.KeyManager ?? 'Unknown' };
    } catch (error) {
      throw toAwsCallError('DescribeKey', error);
    }
  }
}
