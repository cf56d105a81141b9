/**
 * The enforcement policy (from POLICY and REQUIRED_KMS_KEY) and what it requires of one object.
 * Key references are resolved to ARNs once, at cold start; this module only looks them up.
 */
export interface ExemptionRule {
  readonly bucket: string;
  readonly prefix: string;
}

export interface OverrideRule {
  readonly bucket: string;
  readonly prefix: string;
  readonly requiredKey?: string | undefined;
  readonly bucketKey?: boolean | undefined;
}

/**
 * auto: UpdateObjectEncryption where the object can take it (no data movement), copy otherwise;
 * update: UpdateObjectEncryption only; copy: always copy in place.
 */
export type RemediationStrategy = 'auto' | 'update' | 'copy';

/** What happens to the non-compliant version a copy leaves behind in a versioned bucket. */
export type PriorVersionHandling = 'retain' | 'delete';

export interface EnforcementPolicy {
  /** The REQUIRED_KMS_KEY reference, as configured. */
  readonly requiredKey: string;
  readonly strategy: RemediationStrategy;
  readonly priorVersions: PriorVersionHandling;
  readonly bucketKey: boolean;
  readonly acceptDsseKms: boolean;
  readonly exemptions: readonly ExemptionRule[];
  readonly overrides: readonly OverrideRule[];
}

export type ObjectRequirement =
  | { readonly kind: 'exempt'; readonly rule: ExemptionRule }
  | {
      readonly kind: 'required';
      readonly keyArn: string;
      readonly bucketKey: boolean;
      readonly acceptDsseKms: boolean;
    };

/** Every key reference the policy names, to resolve at cold start. */
export const keyReferencesOf = (policy: EnforcementPolicy): string[] => [
  ...new Set([policy.requiredKey, ...policy.overrides.flatMap((rule) => (rule.requiredKey ? [rule.requiredKey] : []))]),
];

const matches = (rule: { bucket: string; prefix: string }, bucket: string, key: string): boolean =>
  rule.bucket === bucket && key.startsWith(rule.prefix);

/** The most specific rule wins: the longest matching prefix. */
const mostSpecific = <R extends { bucket: string; prefix: string }>(rules: readonly R[], bucket: string, key: string): R | undefined =>
  rules
    .filter((rule) => matches(rule, bucket, key))
    .reduce<R | undefined>((best, rule) => (!best || rule.prefix.length > best.prefix.length ? rule : best), undefined);

export const requirementFor = (
  policy: EnforcementPolicy,
  keyArnOf: (reference: string) => string,
  bucket: string,
  key: string,
): ObjectRequirement => {
  const exemption = mostSpecific(policy.exemptions, bucket, key);
  if (exemption) return { kind: 'exempt', rule: exemption };
  const override = mostSpecific(policy.overrides, bucket, key);
  return {
    kind: 'required',
    keyArn: keyArnOf(override?.requiredKey ?? policy.requiredKey),
    bucketKey: override?.bucketKey ?? policy.bucketKey,
    acceptDsseKms: policy.acceptDsseKms,
  };
};
