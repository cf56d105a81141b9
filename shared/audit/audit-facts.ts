import type { ObjectInspection } from '../core/classify-object.js';

/**
 * What the audit gathered from AWS, before any judgement. Every fact is either read or failed with
 * the error that stopped it: a failure becomes an error finding of the checks that needed it.
 */
export interface FactError {
  readonly operation: string;
  readonly code: string;
  readonly message: string;
}

export type Gathered<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FactError };

export const gathered = <T>(value: T): Gathered<T> => ({ ok: true, value });
export const failedFact = (error: FactError): Gathered<never> => ({ ok: false, error });

/** One rule of a bucket's default encryption, as GetBucketEncryption returns it. */
export interface EncryptionRuleFacts {
  /** `AES256`, `aws:kms`, `aws:kms:dsse`. */
  readonly algorithm: string | undefined;
  /** KMSMasterKeyID as configured: key ARN, key id, alias name or alias ARN; absent means aws/s3. */
  readonly kmsKeyReference: string | undefined;
  readonly bucketKeyEnabled: boolean;
  /** BlockedEncryptionTypes.EncryptionType: `SSE-C` when SSE-C uploads are refused. */
  readonly blockedEncryptionTypes: readonly string[];
}

/** `none`: GetBucketEncryption found no configuration (some emulators; S3 itself always has one since 2023). */
export type DefaultEncryptionFacts = { readonly kind: 'configured'; readonly rules: readonly EncryptionRuleFacts[] } | { readonly kind: 'none' };

export interface NotificationTarget {
  readonly kind: 'queue' | 'function' | 'topic';
  readonly arn: string;
  readonly events: readonly string[];
  /** Key name filter rules (prefix/suffix); an empty list means every object. */
  readonly filters: readonly { readonly name: string; readonly value: string }[];
}

export interface NotificationFacts {
  readonly eventBridge: boolean;
  readonly targets: readonly NotificationTarget[];
}

export interface SampledObject {
  readonly key: string;
  readonly lastModified?: string | undefined;
  readonly inspection: Gathered<ObjectInspection>;
}

export type BucketFacts =
  /** The bucket's region could not be read: nothing else could be either. */
  | { readonly kind: 'unreachable'; readonly name: string; readonly arn: string; readonly error: FactError }
  | {
      readonly kind: 'inspected';
      readonly name: string;
      readonly arn: string;
      readonly region: string;
      readonly encryption: Gathered<DefaultEncryptionFacts>;
      /** The policy text; undefined when the bucket has none. */
      readonly policy: Gathered<string | undefined>;
      readonly notifications: Gathered<NotificationFacts>;
      /** Only when POLICY.audit.objectSampleSize is above 0. */
      readonly sample?: Gathered<readonly SampledObject[]> | undefined;
    };

export interface RotationFacts {
  readonly enabled: boolean;
  /** Absent on some endpoints; KMS's default period is 365 days. */
  readonly periodDays?: number | undefined;
}

/** DescribeKey, plus rotation and key policy for the customer-managed keys that have them. */
export interface KeyFacts {
  readonly arn: string;
  readonly keyId: string;
  readonly region: string;
  readonly accountId: string;
  /** Enabled, Disabled, PendingDeletion, PendingReplicaDeletion, PendingImport, Unavailable, Creating, Updating. */
  readonly state: string;
  readonly manager: string;
  readonly keySpec: string;
  readonly keyUsage: string;
  /** AWS_KMS, EXTERNAL (imported material), AWS_CLOUDHSM, EXTERNAL_KEY_STORE. */
  readonly origin: string;
  readonly customKeyStoreId?: string | undefined;
  readonly multiRegionType?: 'PRIMARY' | 'REPLICA' | undefined;
  readonly primaryArn?: string | undefined;
  readonly deletionDate?: string | undefined;
  readonly rotation?: Gathered<RotationFacts> | undefined;
  readonly policy?: Gathered<string> | undefined;
}

export type KeyLookup =
  | { readonly kind: 'found'; readonly key: KeyFacts }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'error'; readonly error: FactError };

/** Who names a key: the policy (REQUIRED_KMS_KEY, an override) or a bucket's default encryption. */
export interface KeyReference {
  readonly region: string;
  readonly reference: string;
  readonly namedBy: readonly string[];
}

export const lookupId = (region: string, reference: string): string => `${region}\u0000${reference}`;

export interface AuditFacts {
  readonly buckets: readonly BucketFacts[];
  /** Buckets left out by a whole-bucket exemption in POLICY. */
  readonly exemptBuckets: readonly string[];
  readonly keyReferences: readonly KeyReference[];
  /** By lookupId(region, reference). */
  readonly keys: ReadonlyMap<string, KeyLookup>;
}
