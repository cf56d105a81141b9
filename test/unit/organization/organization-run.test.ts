import { describe, expect, it } from 'vitest';
import { organizationRun, organizationRunLayout, parseOrganizationRun } from '../../../shared/organization/organization-run.js';

const RUN = { runId: '2026-11-22T030000Z', runDate: '2026-11-22', startedAt: '2026-11-22T03:00:00.000Z' };

describe('organizationRun', () => {
  it('names the run by its start, to the second, in UTC', () => {
    expect(organizationRun(new Date('2026-11-22T03:00:00.000Z'))).toEqual(RUN);
    expect(organizationRun(new Date('2026-11-22T23:59:59.999-02:00'))).toEqual({ runId: '2026-11-23T015959Z', runDate: '2026-11-23', startedAt: '2026-11-23T01:59:59.999Z' });
  });
});

describe('organizationRunLayout', () => {
  it('files every working file of a run under the organization folder, beside the accounts’ own reports', () => {
    const layout = organizationRunLayout('encryption-audit/', RUN);

    expect({ ...layout, accountResultKey: layout.accountResultKey('111111111111') }).toEqual({
      base: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/',
      listingKey: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/listing.jsonl',
      accountsKey: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/accounts.json',
      accountResultKey: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/accounts/111111111111.json',
      mapResultsPrefix: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/map-results',
      reportJsonKey: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/organization-audit-2026-11-22T030000Z.json',
      reportMarkdownKey: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/organization-audit-2026-11-22T030000Z.md',
      reportHtmlKey: 'encryption-audit/organization/2026-11-22/2026-11-22T030000Z/organization-audit-2026-11-22T030000Z.html',
    });
  });

  it('an empty prefix files the run at the bucket’s top', () => {
    expect(organizationRunLayout('', RUN).listingKey).toBe('organization/2026-11-22/2026-11-22T030000Z/listing.jsonl');
  });
});

describe('parseOrganizationRun', () => {
  it('takes a run as the steps hand it on, and one without its date', () => {
    expect(parseOrganizationRun(RUN)).toEqual(RUN);
    expect(parseOrganizationRun({ runId: RUN.runId, startedAt: RUN.startedAt })).toEqual(RUN);
    // Extra fields a step may add are not carried on.
    expect(parseOrganizationRun({ ...RUN, bucket: 'elsewhere' })).toEqual(RUN);
  });

  it.each([
    ['not an object', 'run', 'run.runId must look like 2026-11-22T030000Z, not undefined'],
    ['null', null, 'run.runId must look like 2026-11-22T030000Z, not undefined'],
    ['a run id of another shape', { ...RUN, runId: '2026-11-22T03:00:00Z' }, 'run.runId must look like 2026-11-22T030000Z, not "2026-11-22T03:00:00Z"'],
    ['a run id that is a path', { ...RUN, runId: '../../x' }, 'run.runId must look like 2026-11-22T030000Z, not "../../x"'],
    ['no start', { runId: RUN.runId, runDate: RUN.runDate }, 'run.startedAt must be an ISO date, not undefined'],
    ['a start that is not a date', { ...RUN, startedAt: 'yesterday' }, 'run.startedAt must be an ISO date, not "yesterday"'],
    ['a run id of another start', { ...RUN, startedAt: '2026-11-22T03:00:01.000Z' }, 'run.runId 2026-11-22T030000Z does not match run.startedAt 2026-11-22T03:00:01.000Z'],
    ['a date of another day', { ...RUN, runDate: '2026-11-21' }, 'run.runId 2026-11-22T030000Z does not match run.startedAt 2026-11-22T03:00:00.000Z'],
  ])('refuses %s: a malformed run would file reports anywhere', (_case, value, message) => {
    expect(() => parseOrganizationRun(value)).toThrow(new Error(message));
  });
});
