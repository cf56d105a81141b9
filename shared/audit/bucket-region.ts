/**
 * GetBucketLocation's LocationConstraint as a region: null or empty means us-east-1, and the legacy
 * `EU` means eu-west-1.
 */
export const regionFromLocationConstraint = (constraint: string | null | undefined): string => {
  if (constraint === undefined || constraint === null || constraint === '') return 'us-east-1';
  if (constraint === 'EU') return 'eu-west-1';
  return constraint;
};
