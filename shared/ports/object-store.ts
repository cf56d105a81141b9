import type { ObjectInspection, ObjectSnapshot } from '../core/classify-object.js';
import type { EncryptionTarget } from '../core/decide-object-action.js';
import type { EncryptionState } from '../core/encryption-state.js';

export interface CopyInPlaceRequest {
  readonly bucket: string;
  readonly key: string;
  /** The exact version inspected: copied from by version id, guarded by its ETag. */
  readonly source: ObjectSnapshot;
  readonly target: EncryptionTarget;
}

export type CopyInPlaceResult =
  | { readonly kind: 'copied'; readonly versionId?: string | undefined; readonly encryption: EncryptionState }
  /** The object changed after it was inspected: a newer upload exists and has its own event. */
  | { readonly kind: 'superseded' }
  /** The object was deleted after it was inspected. */
  | { readonly kind: 'gone' };

/**
 * The objects of S3, as the enforcer needs them. Expected answers are values; anything else is
 * thrown as an AwsCallError.
 */
export interface ObjectStore {
  /** HeadObject of the current version. */
  inspect(bucket: string, key: string): Promise<ObjectInspection>;
  copyInPlace(request: CopyInPlaceRequest): Promise<CopyInPlaceResult>;
}
