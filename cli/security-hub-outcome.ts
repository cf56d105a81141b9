import type { RegionImportOutcome } from '../shared/findings-export/security-hub-export.js';

/** One region's Security Hub import as the CLI reports it on stderr. */
export const securityHubLine = (outcome: RegionImportOutcome, accountId?: string): string => {
  const where = `${accountId ? `${accountId} ` : ''}${outcome.region}`;
  if (outcome.kind === 'not-enabled') return `Security Hub ${where}: not imported — ${outcome.message}`;
  const refused = outcome.failed > 0 ? `, ${outcome.failed} refused (${outcome.failures[0] ? `${outcome.failures[0].code}: ${outcome.failures[0].message}` : 'no detail'})` : '';
  if (outcome.kind === 'interrupted') return `Security Hub ${where}: ${outcome.imported} imported, then stopped: ${outcome.error}${refused}`;
  return `Security Hub ${where}: ${outcome.imported} finding(s) imported${refused}`;
};
