import type { ObjectInspection, ObjectSnapshot } from '../core/classify-object.js';
import type { EncryptionTarget } from '../core/decide-object-action.js';
import type { EncryptionState } from '../core/encryption-state.js';

/** One ACL grant, as GetObjectAcl reports it. */
export interface AclGrant {
  readonly permission: 'FULL_CONTROL' | 'READ' | 'READ_ACP' | 'WRITE_ACP' | 'WRITE' | string;
  readonly grantee: { readonly type: 'CanonicalUser'; readonly id: string } | { readonly type: 'Group'; readonly uri: string } | { readonly type: 'AmazonCustomerByEmail'; readonly email: string };
}

/** Whether object ACLs exist in a bucket: Object Ownership BucketOwnerEnforced turns them off. */
export type AclMode = 'acls-disabled' | 'acls-enabled';

export interface CopyInPlaceRequest {
  readonly bucket: string;
  readonly key: string;
  /** The exact version inspected: copied from by version id, guarded by its ETag. */
  readonly source: ObjectSnapshot;
  readonly target: EncryptionTarget;
  /** The object's ACL, to write with the copy (which would otherwise reset it to private). */
  readonly grants?: readonly AclGrant[] | undefined;
}

export interface MultipartCopyRequest extends CopyInPlaceRequest {
  /** Nothing is carried by a multipart copy: the tags are read first and written with it. */
  readonly tags: Readonly<Record<string, string>>;
  readonly partSizeBytes: number;
  readonly partConcurrency: number;
}

export type CopyInPlaceResult =
  | { readonly kind: 'copied'; readonly versionId?: string | undefined; readonly encryption: EncryptionState }
  /** The object changed after it was inspected: a newer upload exists and has its own event. */
  | { readonly kind: 'superseded' }
  /** The object was deleted after it was inspected. */
  | { readonly kind: 'gone' };

export type UpdateInPlaceResult =
  | { readonly kind: 'updated' }
  /** The endpoint or the object cannot take UpdateObjectEncryption; `code` says which answer. */
  | { readonly kind: 'unsupported'; readonly code: string; readonly endpointWide: boolean }
  | { readonly kind: 'gone' };

/**
 * The objects of S3, as the enforcer needs them. Expected answers are values; anything else is
 * thrown as an AwsCallError.
 */
export interface ObjectStore {
  /** HeadObject of the current version. */
  inspect(bucket: string, key: string): Promise<ObjectInspection>;
  copyInPlace(request: CopyInPlaceRequest): Promise<CopyInPlaceResult>;
  /** UploadPartCopy onto itself; aborts the upload on any failure so no parts are left billed. */
  multipartCopyInPlace(request: MultipartCopyRequest): Promise<CopyInPlaceResult>;
  updateEncryptionInPlace(bucket: string, key: string, versionId: string | undefined, target: EncryptionTarget): Promise<UpdateInPlaceResult>;
  /** Looked up once per bucket and remembered for the life of the store. */
  aclMode(bucket: string): Promise<AclMode>;
  readAcl(bucket: string, key: string, versionId: string | undefined): Promise<readonly AclGrant[]>;
  readTags(bucket: string, key: string, versionId: string | undefined): Promise<Record<string, string>>;
  /** Deletes exactly one version; never the current object without a version id. */
  deleteVersion(bucket: string, key: string, versionId: string): Promise<void>;
}
