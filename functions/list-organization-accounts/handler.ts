import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Context } from 'aws-lambda';
import { OrganizationsAccountLister } from '../../shared/adapters/organizations-account-lister.js';
import { OrganizationsResourceControlPolicies } from '../../shared/adapters/organizations-resource-control-policies.js';
import { S3ReportStore } from '../../shared/adapters/s3-report-store.js';
import { createS3Client, CLIENT_SETTINGS } from '../../shared/aws/aws-clients.js';
import { loadOrganizationAuditConfig } from '../../shared/config/organization-config.js';
import { partitionOf } from '../../shared/core/key-reference.js';
import { createTelemetry } from '../../shared/observability/powertools.js';
import { organizationRun } from '../../shared/organization/organization-run.js';
import { accountOfFunctionArn, scheduledTime } from '../audit-encryption/audit-account.js';
import { listOrganizationAccounts, type ListingOutput } from './list-accounts.js';

// Composition root: the organization audit's first step.
const config = loadOrganizationAuditConfig(undefined, { publishes: false });
const { aws } = config.audit;
const { logger } = createTelemetry('list-organization-accounts');
// One attempt per SDK call: the lister backs off on TooManyRequestsException itself, for longer than the SDK would.
const organizations = new OrganizationsClient({ region: aws.region, ...CLIENT_SETTINGS, maxAttempts: 1 });
const lister = new OrganizationsAccountLister(organizations);
const resourceControlPolicies = new OrganizationsResourceControlPolicies(organizations);
const s3 = createS3Client(aws);

/** The execution's start time names the run: a retried step files under the same run. */
const listAccounts = async (event: unknown, context: Context): Promise<ListingOutput> => {
  const accountId = accountOfFunctionArn(context.invokedFunctionArn);
  if (!accountId) throw new Error(`cannot tell the account from the function ARN "${context.invokedFunctionArn}"`);
  const fields = typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {};
  const run = organizationRun(scheduledTime({ time: fields['startedAt'] }, () => new Date()));
  const output = await listOrganizationAccounts(
    {
      lister,
      resourceControlPolicies,
      partition: partitionOf(aws.region),
      store: new S3ReportStore(s3, config.reportsBucket, accountId),
      reportsBucket: config.reportsBucket,
      reportsPrefix: config.audit.reportsPrefix,
      reportsKmsKeyArn: config.reportsKmsKeyArn,
      scope: config.scope,
    },
    run,
  );
  logger.info('organization listed', { runId: run.runId, accounts: output.accounts.count, skipped: output.listing.skipped });
  return output;
};

export const handler = middy(listAccounts).use(injectLambdaContext(logger, { resetKeys: true }));
