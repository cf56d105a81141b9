import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';

/** One finding Security Hub did not take, with its reason as Security Hub gave it. */
export interface FailedImport {
  readonly id: string;
  readonly code: string;
  readonly message: string;
}

/**
 * What became of one batch: imported (each finding taken or refused on its own), or nothing at
 * all because Security Hub is not enabled in that account and region — the account's state, so a
 * value, never an error.
 */
export type BatchImport =
  | { readonly kind: 'imported'; readonly imported: number; readonly failed: readonly FailedImport[] }
  | { readonly kind: 'not-enabled'; readonly message: string };

/**
 * Findings into Security Hub, one batch of at most 100 per call, in the region given. Anything it
 * could not do after its retries is thrown as an error naming the operation, the region and AWS's
 * code.
 */
export interface FindingsImporter {
  importBatch(region: string, findings: readonly AwsSecurityFinding[]): Promise<BatchImport>;
}
