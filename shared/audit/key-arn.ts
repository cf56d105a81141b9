import { keyReferenceForm, partitionOf } from '../core/key-reference.js';

const ARN_PARTS = /^arn:([^:]+):kms:([^:]+):(\d{12}):(key|alias)\/(.+)$/;

export interface KeyArnParts {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly resource: 'key' | 'alias';
  readonly name: string;
}

export const parseKmsArn = (arn: string): KeyArnParts | undefined => {
  const match = ARN_PARTS.exec(arn);
  if (!match) return undefined;
  const [, partition, region, accountId, resource, name] = match as unknown as [string, string, string, string, 'key' | 'alias', string];
  return { partition, region, accountId, resource, name };
};

/** A key reference is looked up in the region its ARN names, or else in the region it is used in. */
export const regionOfReference = (reference: string, usedIn: string): string => parseKmsArn(reference)?.region ?? usedIn;

/** A stable ARN for a reference that may not resolve (a deleted key, an unknown alias). */
export const qualifiedKeyArn = (reference: string, region: string, accountId: string): string => {
  const form = keyReferenceForm(reference);
  if (form === 'key-arn' || form === 'alias-arn') return reference;
  const resource = form === 'alias-name' ? reference : `key/${reference}`;
  return `arn:${partitionOf(region)}:kms:${region}:${accountId}:${resource}`;
};

export const isMultiRegionKeyArn = (arn: string): boolean => parseKmsArn(arn)?.name.startsWith('mrk-') === true;

/**
 * The ARN the same key would have in another region: a multi-Region key's replicas share its key id;
 * a single-Region key exists in one region only (undefined elsewhere).
 */
export const keyArnInRegion = (keyArn: string, region: string): string | undefined => {
  const parts = parseKmsArn(keyArn);
  if (!parts || parts.resource !== 'key') return undefined;
  if (parts.region === region) return keyArn;
  if (!parts.name.startsWith('mrk-')) return undefined;
  return `arn:${partitionOf(region)}:kms:${region}:${parts.accountId}:key/${parts.name}`;
};
