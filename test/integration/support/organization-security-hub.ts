import { GetFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { accountClientConfig } from './organization-estate.js';

/**
 * What Security Hub CSPM holds in one account and region, read as that account's security team
 * reads it: with that account's credentials, every page of GetFindings. moto ignores GetFindings'
 * filters, so none are sent: the answer is everything the account's hub holds there.
 */
export const securityHubFindingsIn = async (endpoint: string, accountId: string, region: string): Promise<AwsSecurityFinding[]> => {
  const hub = new SecurityHubClient({ ...(await accountClientConfig(endpoint, accountId)), region });
  try {
    const findings: AwsSecurityFinding[] = [];
    let NextToken: string | undefined;
    do {
      const page = await hub.send(new GetFindingsCommand({ MaxResults: 100, ...(NextToken ? { NextToken } : {}) }));
      findings.push(...(page.Findings ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return findings;
  } finally {
    hub.destroy();
  }
};
