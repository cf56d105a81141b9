/** What protects an object's bytes at rest, as S3 reports it. */
export type EncryptionState =
  | { readonly kind: 'unencrypted' }
  | { readonly kind: 'sse-s3' }
  | { readonly kind: 'sse-kms'; readonly keyArn: string | undefined; readonly bucketKeyEnabled: boolean }
  | { readonly kind: 'dsse-kms'; readonly keyArn: string | undefined }
  /** Encrypted with a key the uploader holds; S3 will not even describe it without that key. */
  | { readonly kind: 'sse-c' }
  | { readonly kind: 'unrecognised'; readonly algorithm: string };

export const SSE_ALGORITHM = {
  s3: 'AES256',
  kms: 'aws:kms',
  dsseKms: 'aws:kms:dsse',
} as const;

/** The encryption headers of a HeadObject answer (or a copy's answer). */
export interface EncryptionHeaders {
  readonly serverSideEncryption?: string | undefined;
  readonly kmsKeyId?: string | undefined;
  readonly bucketKeyEnabled?: boolean | undefined;
  readonly customerAlgorithm?: string | undefined;
}

export const encryptionFromHeaders = (headers: EncryptionHeaders): EncryptionState => {
  if (headers.customerAlgorithm) return { kind: 'sse-c' };
  switch (headers.serverSideEncryption) {
    case undefined:
    case '':
      return { kind: 'unencrypted' };
    case SSE_ALGORITHM.s3:
      return { kind: 'sse-s3' };
    case SSE_ALGORITHM.kms:
      return { kind: 'sse-kms', keyArn: headers.kmsKeyId, bucketKeyEnabled: headers.bucketKeyEnabled === true };
    case SSE_ALGORITHM.dsseKms:
      return { kind: 'dsse-kms', keyArn: headers.kmsKeyId };
    default:
      return { kind: 'unrecognised', algorithm: headers.serverSideEncryption };
  }
};

/** A short, log-friendly description: `sse-kms(arn:…)`. */
export const describeEncryption = (state: EncryptionState): string => {
  switch (state.kind) {
    case 'sse-kms':
      return `sse-kms(${state.keyArn ?? 'aws/s3'}${state.bucketKeyEnabled ? ', bucket key' : ''})`;
    case 'dsse-kms':
      return `dsse-kms(${state.keyArn ?? 'aws/s3'})`;
    case 'unrecognised':
      return `unrecognised(${state.algorithm})`;
    default:
      return state.kind;
  }
};
