import { ListAliasesCommand, type KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { createKmsClient, createS3Client } from '../shared/aws/aws-clients.js';
import { KmsKeyDescriber } from '../shared/adapters/kms-key-describer.js';
import { S3ObjectStore } from '../shared/adapters/s3-object-store.js';
import { toAwsCallError } from '../shared/adapters/aws-error.js';
import { loadEnforcerConfig, type EnforcerSettings } from '../shared/config/enforcer-config.js';
import { requirementFor } from '../shared/core/object-requirement.js';
import { resolvePolicyKeys } from '../shared/resolve-policy-keys.js';
import type { ObjectEnforcement } from '../functions/enforce-object-encryption/enforce-object.js';
import { UpdateCapability } from '../functions/enforce-object-encryption/update-capability.js';
import { UsageError } from './cli-errors.js';
import { hasRegion, type Environment } from './cli-environment.js';
import { S3ObjectLister } from './s3-object-lister.js';

/**
 * The CLI's composition root for object commands: the same configuration loader, clients,
 * adapters and key resolution as the enforce function's handler, and its use case's dependencies.
 */
export interface ObjectServices {
  /** The enforce function's configuration; the object commands publish nothing, so FINDINGS_TOPIC_ARN is not read. */
  readonly config: EnforcerSettings;
  /** REQUIRED_KMS_KEY, resolved with DescribeKey. */
  readonly requiredKeyArn: string;
  readonly enforcement: ObjectEnforcement;
  readonly lister: S3ObjectLister;
  close(): void;
}

/** AWS_REGION, else AWS_DEFAULT_REGION, else the region of the profile in use (~/.aws/config). */
export const withResolvedRegion = async (env: Environment): Promise<Environment> => {
  if (hasRegion(env)) return env;
  const probe = new S3Client({});
  try {
    return { ...env, AWS_REGION: await probe.config.region() };
  } catch {
    return env; // the loader then says that AWS_REGION is not set
  } finally {
    probe.destroy();
  }
};

export const objectServices = async (env: Environment, warn: (line: string) => void): Promise<ObjectServices> => {
  const config = loadEnforcerConfig(await withResolvedRegion(env), { publishes: false });
  const s3 = createS3Client(config.aws);
  const kms = createKmsClient(config.aws);
  const close = (): void => {
    s3.destroy();
    kms.destroy();
  };
  try {
    const keys = await resolvePolicyKeys(config.policy, new KmsKeyDescriber(() => kms), config.aws.region);
    for (const [reference, description] of keys.descriptions) {
      if (description.state !== 'Enabled') warn(`KMS key ${reference} (${description.arn}) is ${description.state}: remediations under it will fail`);
    }
    const update = new UpdateCapability(config.updateObjectEncryptionAvailable, `the S3 endpoint ${config.aws.s3Endpoint ?? ''} is not Amazon S3`);
    const refusals = new Set<string>();
    const enforcement: ObjectEnforcement = {
      store: new S3ObjectStore(s3),
      requirementOf: (bucket, key) => requirementFor(config.policy, keys.arnOf, bucket, key),
      mode: config.mode,
      copyLimitBytes: config.copyLimitBytes,
      strategy: config.policy.strategy,
      priorVersions: config.policy.priorVersions,
      update,
      multipart: { partBytes: config.multipartPartBytes, concurrency: config.multipartConcurrency },
      // A CLI run has no invocation deadline; copies too long for any Lambda are still reported.
      remainingTimeMs: () => Number.POSITIVE_INFINITY,
      clock: () => new Date(),
      onUpdateRefused: (_ref, code, endpointWide) => {
        if (refusals.has(code)) return;
        refusals.add(code);
        warn(`UpdateObjectEncryption answered ${code}; copying instead${endpointWide ? ' from now on' : ' where it is refused'}`);
      },
    };
    return { config, requiredKeyArn: keys.arnOf(config.policy.requiredKey), enforcement, lister: new S3ObjectLister(s3), close };
  } catch (error) {
    close();
    throw error;
  }
};

const ACCOUNT_ID = /^\d{12}$/;

/**
 * The account the credentials belong to, without STS (not a dependency of this project):
 * --account-id, else the credentials' own account (AWS_ACCOUNT_ID, SSO and profile `aws_account_id`),
 * else the account in the ARNs of this region's KMS aliases (ListAliases lists the caller's own).
 */
export const resolveAccountId = async (explicit: string | undefined, s3: S3Client, kms: KMSClient): Promise<string> => {
  if (explicit !== undefined) {
    if (!ACCOUNT_ID.test(explicit)) throw new UsageError(`--account-id must be 12 digits, not "${explicit}"`, 'audit');
    return explicit;
  }
  const fromCredentials = await s3.config
    .credentials()
    .then((credentials) => credentials.accountId)
    .catch(() => undefined);
  if (fromCredentials && ACCOUNT_ID.test(fromCredentials)) return fromCredentials;
  const aliases = await kms.send(new ListAliasesCommand({ Limit: 1 })).catch((error: unknown) => {
    throw toAwsCallError('ListAliases', error);
  });
  const fromAlias = aliases.Aliases?.[0]?.AliasArn?.split(':')[4];
  if (fromAlias && ACCOUNT_ID.test(fromAlias)) return fromAlias;
  throw new UsageError('cannot tell which account these credentials belong to: pass --account-id', 'audit');
};
