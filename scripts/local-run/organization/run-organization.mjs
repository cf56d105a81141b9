// npm start -- --organization: the organization on this machine, nothing deployed. moto holds an
// organization — the management account, which is also the central one, and four members, one
// locked out of every AssumeRole by an STS proxy in front of moto — and the REAL built bundles run
// in it: each reachable member's enforcer consumes its own queue and brings an SSE-S3 upload under
// that member's own key; then the organization audit's state machine runs its three functions in
// the order and with the payloads its definition gives them. Prints the states, the organization
// report's Markdown and on-call's summary. Answers the exit code: 0 when everything ended as it
// should (the findings are expected), 1 when not, 2 when it cannot run here.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { motoUnavailableReason, startMotoServer } from '../../../tooling/moto-server.mjs';
import { drainQueue } from '../../../tooling/sqs-event-source.mjs';
import { CENTRAL_FUNCTIONS } from '../../../infra/organization/release.mjs';
import { onStop } from '../shutdown.mjs';
import { runOrganizationAudit } from './audit-run.mjs';
import { MANAGEMENT_ACCOUNT, assumeInto, createCentral, createOrganization, destroyAll, equipMember, managementClients } from './estate.mjs';
import { ensureBundles, stopInvocations } from './lambda-bundles.mjs';
import { ENFORCE_BUNDLE, enforceInMember } from './member-enforcers.mjs';
import { printEnforcement, printEstate, printOnCall, printReport, printStates, readOnCall, say } from './print.mjs';
import { startStsLockoutProxy } from './sts-lockout-proxy.mjs';
import { verdictOf } from './verdict.mjs';

/** @import { MergeOutcome } from '../../../functions/merge-organization-audit/merge-organization.js' */
/** @import { S3Client } from '@aws-sdk/client-s3' */
/** @import { Member, OrganizationAccount } from './estate.mjs' */

const VERBOSE = process.argv.includes('--verbose');

/**
 * The Markdown beside the JSON report the merge names (organizationRunLayout: same name, `.md`).
 * @param {S3Client} s3
 * @param {string | undefined} jsonUri
 */
const readMarkdownReport = async (s3, jsonUri) => {
  const match = /^s3:\/\/([^/]+)\/(.+)\.json$/.exec(jsonUri ?? '');
  if (!match) return undefined;
  const [, bucket = '', base = ''] = match;
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${base}.md` }));
  return { uri: `s3://${bucket}/${base}.md`, markdown: (await Body?.transformToString('utf8')) ?? '' };
};

/** @returns {Promise<number>} */
export const runOrganization = async () => {
  const missing = motoUnavailableReason();
  if (missing) {
    process.stderr.write(`npm start -- --organization needs moto's server, a local AWS endpoint, and cannot start it:\n  ${missing}\n`);
    return 2;
  }
  if (!ensureBundles([ENFORCE_BUNDLE, ...CENTRAL_FUNCTIONS], say)) {
    process.stderr.write('npm start: the build failed; fix it and run npm start again.\n');
    return 2;
  }
  const startedAt = Date.now();
  const moto = await startMotoServer();
  onStop(moto.stop);
  const proxy = await startStsLockoutProxy(moto.endpoint);
  onStop(proxy.stop);
  onStop(stopInvocations);
  const endpoints = { moto: moto.endpoint, sts: proxy.endpoint };
  const clients = managementClients(endpoints);
  onStop(async () => destroyAll(Object.values(clients)));
  say(`S3 encryption enforcer, an organization locally: moto at ${moto.endpoint}, STS through the lockout proxy at ${proxy.endpoint}, nothing deployed.\n`);

  const central = await createCentral(clients);
  const accounts = await createOrganization(clients.organizations);
  for (const account of accounts.filter((candidate) => candidate.lockedOut)) proxy.lockOut(account.accountId);
  /** @type {Member[]} */
  const members = [];
  /** @type {{ account: OrganizationAccount, reason: string }[]} */
  const unreachable = [];
  for (const account of accounts) {
    const access = await assumeInto(clients.sts, account.accountId);
    if ('refused' in access) unreachable.push({ account, reason: access.refused });
    else members.push(await equipMember(moto.endpoint, account, access.credentials));
  }
  printEstate(MANAGEMENT_ACCOUNT, central, members, unreachable);

  const enforcement = [];
  for (const member of members) enforcement.push(await enforceInMember(moto.endpoint, member, central.topicArn));
  printEnforcement(enforcement);

  const audit = await runOrganizationAudit({ central, endpoints, s3: clients.s3 });
  printStates(audit.run, audit.invocations, VERBOSE);
  const outcome = audit.run.status === 'SUCCEEDED' ? /** @type {MergeOutcome} */ (audit.run.output) : undefined;
  const report = await readMarkdownReport(clients.s3, outcome?.report);
  if (report) printReport(report.uri, report.markdown);
  else say(`No organization report to print: ${outcome?.reportError ?? 'the merge named none'}.\n`);
  const onCall = readOnCall(await drainQueue(clients.sqs, central.onCall.url));
  printOnCall(onCall);

  const problems = verdictOf({ accounts, members, enforcement, run: audit.run, outcome, markdown: report?.markdown, onCall });
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  if (problems.length > 0) {
    say(`FAILED (${seconds} s):`);
    for (const problem of problems) say(`  ${problem}`);
    return 1;
  }
  const lockedOut = unreachable.map(({ account }) => account.name).join(', ');
  say(
    `OK (${seconds} s): each reachable member's enforcer brought its upload under the member's own key; the audit ran every state, ` +
      `audited ${outcome?.accounts.audited} account(s), reported ${lockedOut} as not audited with its reason, and paged on-call once.`,
  );
  return 0;
};
