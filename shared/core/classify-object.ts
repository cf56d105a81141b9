import { encryptionFromHeaders, type EncryptionHeaders, type EncryptionState } from './encryption-state.js';

/** The headers a copy must carry because S3 will not (all of them, for a multipart copy). */
export interface ObjectHeaders {
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly contentDisposition?: string | undefined;
  readonly contentEncoding?: string | undefined;
  readonly contentLanguage?: string | undefined;
  readonly expires?: Date | undefined;
  readonly websiteRedirectLocation?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export interface ObjectLock {
  readonly mode?: 'GOVERNANCE' | 'COMPLIANCE' | string | undefined;
  readonly retainUntil?: Date | undefined;
  readonly legalHold?: 'ON' | 'OFF' | string | undefined;
}

/** The current version of an object as HeadObject describes it. */
export interface ObjectSnapshot extends EncryptionHeaders {
  readonly versionId?: string | undefined;
  readonly eTag: string;
  readonly sizeBytes: number;
  /** HeadObject omits the storage class for STANDARD. */
  readonly storageClass?: string | undefined;
  /** Intelligent-Tiering archive tiers: `ARCHIVE_ACCESS` or `DEEP_ARCHIVE_ACCESS`. */
  readonly archiveStatus?: string | undefined;
  /** The `x-amz-restore` header: `ongoing-request="false", expiry-date=…` once a restored copy exists. */
  readonly restore?: string | undefined;
  readonly websiteRedirectLocation?: string | undefined;
  readonly headers?: ObjectHeaders | undefined;
  readonly lock?: ObjectLock | undefined;
  /** The additional checksum the object carries (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), if any. */
  readonly checksumAlgorithm?: string | undefined;
  readonly tagCount?: number | undefined;
}

/** What HeadObject answered, before any interpretation. */
export type ObjectInspection =
  | { readonly kind: 'found'; readonly object: ObjectSnapshot }
  /** HeadObject answers 400 for an SSE-C object when the customer key is not sent. */
  | { readonly kind: 'customer-key-required' }
  /** 404, or the current version is a delete marker. */
  | { readonly kind: 'not-found' };

export type StorageState =
  | { readonly kind: 'online'; readonly storageClass: string }
  | { readonly kind: 'archived'; readonly storageClass: string; readonly restored: boolean };

export type ObjectClassification =
  | { readonly kind: 'gone' }
  | {
      readonly kind: 'stored';
      readonly encryption: EncryptionState;
      readonly storage: StorageState;
      readonly sizeBytes: number | undefined;
      /** Object Lock in force on this version (mode or legal hold). */
      readonly lock?: ObjectLock | undefined;
    };

const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);
const ARCHIVE_TIERS: ReadonlySet<string> = new Set(['ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS']);

export const storageOf = (object: ObjectSnapshot): StorageState => {
  const storageClass = object.storageClass ?? 'STANDARD';
  const archived = ARCHIVE_CLASSES.has(storageClass) || ARCHIVE_TIERS.has(object.archiveStatus ?? '');
  if (!archived) return { kind: 'online', storageClass };
  return { kind: 'archived', storageClass, restored: /ongoing-request="false"/.test(object.restore ?? '') };
};

/** A retention date in the past no longer locks anything. */
export const isLocked = (lock: ObjectLock | undefined, now: Date): boolean =>
  lock?.legalHold === 'ON' || (lock?.mode !== undefined && (lock.retainUntil === undefined || lock.retainUntil > now));

/** A version id that names a version: unversioned and suspended buckets answer none or `null`. */
export const isRealVersion = (versionId: string | undefined): versionId is string => versionId !== undefined && versionId !== 'null';

export const classifyObject = (inspection: ObjectInspection): ObjectClassification => {
  switch (inspection.kind) {
    case 'not-found':
      return { kind: 'gone' };
    case 'customer-key-required':
      return { kind: 'stored', encryption: { kind: 'sse-c' }, storage: { kind: 'online', storageClass: 'unknown' }, sizeBytes: undefined };
    case 'found':
      return {
        kind: 'stored',
        encryption: encryptionFromHeaders(inspection.object),
        storage: storageOf(inspection.object),
        sizeBytes: inspection.object.sizeBytes,
        ...(inspection.object.lock ? { lock: inspection.object.lock } : {}),
      };
  }
};
