/**
 * KMS key references as configuration may give them, and ARN helpers.
 * Identity is always decided on the key ARN that KMS returns for a reference, compared exactly.
 */
export type KeyReferenceForm = 'key-arn' | 'alias-arn' | 'key-id' | 'alias-name';

const PARTITION = '(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc)';
// Region names start with two letters (us-east-1), or four in the European Sovereign Cloud (eusc-de-east-1).
const REGION = '[a-z]{2,4}(-[a-z]+)+-\\d+';
const KEY_ID = '(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const ALIAS_NAME = 'alias/[a-zA-Z0-9/_-]{1,250}';

const FORMS: ReadonlyArray<[KeyReferenceForm, RegExp]> = [
  ['key-arn', new RegExp(`^arn:${PARTITION}:kms:${REGION}:\\d{12}:key/${KEY_ID}$`)],
  ['alias-arn', new RegExp(`^arn:${PARTITION}:kms:${REGION}:\\d{12}:${ALIAS_NAME}$`)],
  ['key-id', new RegExp(`^${KEY_ID}$`)],
  ['alias-name', new RegExp(`^${ALIAS_NAME}$`)],
];

export const keyReferenceForm = (reference: string): KeyReferenceForm | undefined =>
  FORMS.find(([, pattern]) => pattern.test(reference))?.[0];

export const isKeyArn = (value: string): boolean => keyReferenceForm(value) === 'key-arn';

/** `aws/s3` and other AWS-managed aliases can never satisfy a customer-key requirement. */
export const isAwsManagedAlias = (reference: string): boolean => /(^|:)alias\/aws\//.test(reference);

/** The ARN partition of a region: never assume `aws`. */
export const partitionOf = (region: string): string => {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('eu-isoe-')) return 'aws-iso-e';
  if (region.startsWith('us-isof-')) return 'aws-iso-f';
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return 'aws';
};
