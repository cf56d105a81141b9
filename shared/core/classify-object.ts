import { encryptionFromHeaders, type EncryptionHeaders, type EncryptionState } from './encryption-state.js';

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
    };

const ARCHIVE_CLASSES: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);
const ARCHIVE_TIERS: ReadonlySet<string> = new Set(['ARCHIVE_ACCESS', 'DEEP_ARCHIVE_ACCESS']);

export const storageOf = (object: ObjectSnapshot): StorageState => {
  const storageClass = object.storageClass ?? 'STANDARD';
  const archived = ARCHIVE_CLASSES.has(storageClass) || ARCHIVE_TIERS.has(object.archiveStatus ?? '');
  if (!archived) return { kind: 'online', storageClass };
  return { kind: 'archived', storageClass, restored: /ongoing-request="false"/.test(object.restore ?? '') };
};

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
      };
  }
};
