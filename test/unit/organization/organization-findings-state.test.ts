import { describe, expect, it } from 'vitest';
import { findingsStateLine, OrganizationFindingsState, organizationFindingsStateKey } from '../../../shared/organization/organization-findings-state.js';
import { rcpCoverageFinding, RCP_GUARANTEES } from '../../../shared/organization/rcp-coverage.js';

const account = (accountId: string) => ({ accountId, name: `team ${accountId}` });
const uncovered = (accountId: string, missing = [...RCP_GUARANTEES]) => rcpCoverageFinding(account(accountId), { kind: 'not-covered', path: ['r-ab12', accountId], attachments: [], missing }, 'us-east-1');
const covered = (accountId: string) => rcpCoverageFinding(account(accountId), { kind: 'covered', path: ['r-ab12', accountId], attachments: [{ target: 'r-ab12', policies: ['g (p-guardrails)'] }], requiredKeys: [] }, 'us-east-1');

const lines = async function* (texts: readonly string[]) {
  yield* texts;
};

describe('OrganizationFindingsState', () => {
  it('is kept beside the organization’s history', () => {
    expect(organizationFindingsStateKey('encryption-audit/')).toBe('encryption-audit/organization/latest-findings.jsonl');
  });

  it('tells new, changed, unchanged and resolved apart, and carries only what this run did not see', async () => {
    const previous = [uncovered('111111111111'), uncovered('222222222222'), uncovered('333333333333'), uncovered('444444444444'), uncovered('555555555555')].map(findingsStateLine);
    const state = await OrganizationFindingsState.read(lines([...previous, '', 'not json', '{"id":"org-rcp-coverage/x","check":"org-rcp-coverage","status":"broken","severity":"medium","observed":""}']));

    expect(state.compared).toBe(true);
    expect(state.compare(uncovered('111111111111'))).toBe('unchanged');
    expect(state.compare(uncovered('222222222222', ['sse-c-denied']))).toBe('changed');
    expect(state.compare(covered('333333333333'))).toBe('resolved');
    expect(state.compare(uncovered('666666666666'))).toBe('new');
    expect(state.compare(covered('777777777777'))).toBeUndefined();
    state.settle(uncovered('444444444444').id);

    expect(previous.filter((line) => state.carries(line))).toEqual([previous[4]]);
    expect(state.carries('not json')).toBe(false);
  });

  it('without a previous state, every failure is new', () => {
    const state = OrganizationFindingsState.none();

    expect(state.compared).toBe(false);
    expect(state.compare(uncovered('111111111111'))).toBe('new');
    expect(state.compare(covered('222222222222'))).toBeUndefined();
  });
});
