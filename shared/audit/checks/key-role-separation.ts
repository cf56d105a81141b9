import type { KeyFacts } from '../audit-facts.js';
import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import { evaluateRoleSeparation } from '../key-role-separation.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['kms-key-role-separation'];

/** Judged on customer-managed keys: AWS writes the policies of AWS-managed keys. */
export const checkKeyRoleSeparation = (key: KeyFacts, namedBy: readonly string[]): Finding | undefined => {
  if (key.manager === 'AWS' || !key.policy) return undefined;
  const base = {
    resource: key.arn,
    region: key.region,
    related: namedBy,
    expected: 'no principal is granted both key administration and kms:Decrypt (the account root grant, which delegates to IAM, is not counted)',
  };
  if (!key.policy.ok) return errorFinding(CHECK, { ...base, error: key.policy.error });
  const separation = evaluateRoleSeparation(key.policy.value, key.accountId);
  switch (separation.kind) {
    case 'unreadable':
      return makeFinding(CHECK, { ...base, status: 'failed', observed: `the key policy cannot be read: ${separation.reason}` });
    case 'separated':
      return makeFinding(CHECK, { ...base, status: 'passed', observed: 'administrators and users are separate principals' });
    case 'overlap':
      return makeFinding(CHECK, {
        ...base,
        status: 'failed',
        observed: separation.overlaps
          .map((overlap) => `${overlap.principal} may ${overlap.admin.join(', ')} and ${overlap.decrypt.join(', ')}`)
          .join('; '),
      });
  }
};
