// Whether the run ended as it should: the findings are expected (a non-compliant bucket in each
// member, the locked-out member), anything else is a problem, named.

/** @import { MergeOutcome } from '../../../functions/merge-organization-audit/merge-organization.js' */
/** @import { RunResult } from '../../../tooling/state-machine-driver.mjs' */
/** @import { Member, OrganizationAccount } from './estate.mjs' */
/** @import { MemberEnforcement } from './member-enforcers.mjs' */
/** @import { OnCallDocument } from './print.mjs' */

/**
 * @param {object} run
 * @param {OrganizationAccount[]} run.accounts The members created.
 * @param {Member[]} run.members The reachable ones, set up.
 * @param {MemberEnforcement[]} run.enforcement
 * @param {RunResult} run.run
 * @param {MergeOutcome | undefined} run.outcome
 * @param {string | undefined} run.markdown
 * @param {{ subject: string | undefined, document: OnCallDocument }[]} run.onCall
 * @returns {string[]} What is not as it should be; none when the run completed as expected.
 */
export const verdictOf = ({ accounts, members, enforcement, run, outcome, markdown, onCall }) => {
  const problems = [];
  const lockedOut = accounts.filter((account) => account.lockedOut);
  if (members.length !== accounts.length - lockedOut.length) problems.push(`${accounts.length - lockedOut.length} member(s) should be reachable, ${members.length} were set up`);
  for (const result of enforcement) if (result.notOk) problems.push(`${result.member.name}: ${result.object} ${result.notOk}`);

  if (run.status === 'FAILED') problems.push(`the execution failed: ${run.error.Error} ${run.error.Cause}`);
  for (const entry of run.trace) {
    const account = /** @type {{ account?: { accountId?: string } }} */ (entry.input)?.account?.accountId;
    if (entry.error) problems.push(`state ${entry.state}${account ? ` (${account})` : ''} failed: ${entry.error.Error}`);
    else if (entry.caughtBy && !lockedOut.some((locked) => locked.accountId === account)) problems.push(`state ${entry.state} (${account}) failed and was caught by ${entry.caughtBy}`);
  }
  if (outcome) {
    const expected = { listed: accounts.length + 1, audited: members.length + 1, notAudited: lockedOut.length, skipped: 0 };
    if (JSON.stringify(outcome.accounts) !== JSON.stringify(expected)) problems.push(`the merge counted accounts ${JSON.stringify(outcome.accounts)}, not ${JSON.stringify(expected)}`);
    if (outcome.reportError) problems.push(`the organization report was not written: ${outcome.reportError}`);
    if (outcome.statesNotSaved > 0) problems.push(`${outcome.statesNotSaved} account state(s) not saved`);
  }
  if (markdown === undefined) problems.push('no Markdown report could be read');

  if (onCall.length !== 1) problems.push(`on-call received ${onCall.length} summaries, not 1`);
  const notAudited = onCall[0]?.document.notAudited ?? [];
  for (const account of lockedOut) {
    const line = notAudited.find((candidate) => candidate.accountId === account.accountId);
    if (!line) problems.push(`the summary does not name ${account.name} (${account.accountId}) as not audited`);
    else if (!/AccessDenied/.test(line.reason)) problems.push(`the summary gives ${account.name} the reason "${line.reason}", not the AccessDenied`);
    if (markdown !== undefined && !markdown.includes(account.accountId)) problems.push(`the Markdown report does not name ${account.accountId}`);
  }
  return problems;
};
