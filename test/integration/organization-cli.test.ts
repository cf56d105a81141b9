import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCliBuilt, runCli, type CliRun } from './support/cli-process.js';
import { startMotoServer, TEST_ACCOUNT, TEST_REGION, type MotoServer } from './support/moto-server.js';
import { buildOrganization, REQUIRED_ALIAS, resourceOwner, type EstateAccount } from './support/organization-estate.js';
import { attachPrintedRcp } from './support/organization-rcp.js';
import { startStsFaultProxy, type StsFaultProxy } from './support/sts-fault-proxy.js';

/**
 * `enforcer audit --organization --json` from the built CLI, as an administrator runs it from the
 * management account, against moto behind the STS fault proxy (every service through it, as one
 * --endpoint-url): the document it prints, and its exit code — 1 when an account cannot be
 * audited, 0 when every account is audited and compliant.
 */
interface OrganizationDocument {
  organization: { runId: string; callerAccountId: string; region: string; report?: string };
  accounts: { accountId: string; name: string; status: string; reason?: string; reasonCode?: string }[];
  findings: { accountId: string; check: string; status: string; severity: string; resource: string; observed: string }[];
  outcome: { accounts: { listed: number; audited: number; notAudited: number; skipped: number }; failing: number; page: boolean; published: number };
}

const failing = (document: OrganizationDocument) => document.findings.filter((finding) => finding.status === 'failed' || finding.status === 'error');

describe('enforcer audit --organization, against moto', () => {
  let moto: MotoServer;
  let proxy: StsFaultProxy;
  let cwd: string;

  beforeAll(async () => {
    assertCliBuilt();
    moto = await startMotoServer();
    proxy = await startStsFaultProxy(moto.endpoint);
    cwd = mkdtempSync(join(tmpdir(), 'enforcer-organization-cli-'));
  });

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await moto.reset();
    proxy.clear();
  });

  /** The administrator's shell: the management account's credentials, a region, nothing else. */
  const auditOrganization = async (...options: string[]): Promise<{ run: CliRun; document: OrganizationDocument }> => {
    const run = await runCli(
      ['audit', '--organization', '--json', '--required-key', REQUIRED_ALIAS, '--endpoint-url', proxy.endpoint, '--force-path-style', ...options],
      { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: TEST_REGION },
      cwd,
    );
    let document: OrganizationDocument;
    try {
      document = JSON.parse(run.stdout) as OrganizationDocument;
    } catch {
      throw new Error(`the CLI printed no JSON document (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
    return { run, document };
  };

  const roleArn = (accountId: string) => `arn:aws:iam::${accountId}:role/s3-encryption-enforcer-audit`;

  it('prints every account and every finding, each in its own account, and exits 1 when an account is locked out of the audit', async () => {
    const estate = await buildOrganization(moto.endpoint, { members: 3 });
    const [first, lockedOut, third] = estate.members as [EstateAccount, EstateAccount, EstateAccount];
    proxy.refuseAssumeRole(lockedOut.accountId);

    const { run, document } = await auditOrganization();

    expect(run.code, run.stderr).toBe(1);
    expect(document.organization).toEqual({ runId: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{6}Z$/), callerAccountId: TEST_ACCOUNT, region: TEST_REGION });
    expect(document.accounts.map((line) => line.accountId).sort()).toEqual(estate.accounts.map((account) => account.accountId).sort());
    for (const account of [estate.management, first, third]) {
      expect(document.accounts.find((line) => line.accountId === account.accountId), account.name).toEqual({ accountId: account.accountId, name: account.name, status: 'audited' });
    }
    expect(document.accounts.find((line) => line.accountId === lockedOut.accountId)).toEqual({
      accountId: lockedOut.accountId,
      name: lockedOut.name,
      status: 'not-audited',
      reasonCode: 'role-not-assumable',
      reason: expect.stringContaining(`${roleArn(lockedOut.accountId)} could not be assumed (AccessDenied)`),
    });
    expect(document.outcome).toMatchObject({ accounts: { listed: 4, audited: 3, notAudited: 1, skipped: 0 }, failing: failing(document).length, page: true, published: 0 });

    for (const finding of document.findings) expect(resourceOwner(estate, finding.resource), `${finding.check} ${finding.resource}`).toBe(finding.accountId);
    // Its own finding, and its RCP coverage (read from the organization, whether or not the account could be; moto's root starts without RCPs enabled).
    expect(document.findings.filter((finding) => finding.accountId === lockedOut.accountId)).toEqual([
      expect.objectContaining({ check: 'org-account-audited', status: 'failed', severity: 'high', resource: `AWS::::Account:${lockedOut.accountId}` }),
      expect.objectContaining({
        check: 'org-rcp-coverage',
        status: 'failed',
        severity: 'medium',
        resource: `AWS::::Account:${lockedOut.accountId}`,
        observed: expect.stringMatching(/^Resource Control Policies are not enabled on the root r-[0-9a-z]+: no RCP applies to any account$/),
      }),
    ]);
    for (const account of [estate.management, first, third]) {
      const defaultEncryption = (bucket: string | undefined) => document.findings.find((finding) => finding.check === 's3-default-encryption-kms' && finding.resource === `arn:aws:s3:::${bucket}`);
      expect(defaultEncryption(account.encryptedBucket), account.name).toMatchObject({ accountId: account.accountId, status: 'passed' });
      expect(defaultEncryption(account.plainBucket), account.name).toMatchObject({ accountId: account.accountId, status: 'failed' });
    }

    // The member role of each member, once; the management account with the caller's own credentials.
    expect(proxy.assumeRoleRequests().map((request) => [request.params.get('RoleArn'), request.status]).sort()).toEqual(
      [
        [roleArn(first.accountId), 200],
        [roleArn(lockedOut.accountId), 403],
        [roleArn(third.accountId), 200],
      ].sort(),
    );
  });

  it('exits 0 when every account is audited and nothing fails', async () => {
    // Keys only: moto cannot make a bucket pass every check (see the next test).
    const estate = await buildOrganization(moto.endpoint, { members: 2, accounts: 'compliant', buckets: false });
    // The members covered by the printed RCP at the root; the management account, which no RCP can
    // cover, has an informational finding that fails nothing.
    const rcp = await attachPrintedRcp(moto.endpoint, (rootId) => [rootId]);

    const { run, document } = await auditOrganization();

    expect(rcp.rootId).toMatch(/^r-/);
    expect(run.code, `${run.stderr}\n${JSON.stringify(failing(document), null, 2)}`).toBe(0);
    expect(failing(document)).toEqual([]);
    expect(document.accounts.map((line) => [line.accountId, line.status]).sort()).toEqual(estate.accounts.map((account) => [account.accountId, 'audited']).sort());
    expect(document.outcome).toMatchObject({ accounts: { listed: 3, audited: 3, notAudited: 0, skipped: 0 }, failing: 0, page: false });
    for (const account of estate.accounts) {
      const management = account.accountId === TEST_ACCOUNT;
      const passed = document.findings.filter((finding) => finding.accountId === account.accountId && finding.status === 'passed').map((finding) => [finding.check, finding.resource]);
      expect(passed, account.name).toEqual(
        expect.arrayContaining([
          ['org-account-audited', `AWS::::Account:${account.accountId}`],
          ...(management ? [] : [['org-rcp-coverage', `AWS::::Account:${account.accountId}`]]),
          ['kms-key-state', account.keyArn],
          ['kms-key-rotation', account.keyArn],
          ['kms-key-role-separation', account.keyArn],
        ]),
      );
    }
    expect(document.findings.filter((finding) => finding.check === 'org-rcp-coverage' && finding.accountId === TEST_ACCOUNT).map((finding) => finding.status)).toEqual(['informational']);
  });

  it('with buckets configured to pass every check, exits 1 for s3-sse-c-blocked alone (moto forgets BlockedEncryptionTypes)', async () => {
    const estate = await buildOrganization(moto.endpoint, { members: 2, accounts: 'compliant' });
    await attachPrintedRcp(moto.endpoint, (rootId) => [rootId]);

    const { run, document } = await auditOrganization();

    expect(run.code, run.stderr).toBe(1);
    expect(document.accounts.every((line) => line.status === 'audited')).toBe(true);
    expect(failing(document).map((finding) => [finding.check, finding.resource, finding.observed]).sort()).toEqual(
      [
        ...estate.accounts.map((account) => ['s3-sse-c-blocked', `arn:aws:s3:::${account.encryptedBucket}`, 'no encryption type is blocked']),
      ].sort(),
    );
    for (const account of estate.accounts) {
      const bucketChecks = document.findings.filter((finding) => finding.resource === `arn:aws:s3:::${account.encryptedBucket}` && finding.status === 'passed').map((finding) => finding.check);
      expect(bucketChecks.sort(), account.name).toEqual(['s3-bucket-key-enabled', 's3-default-encryption-kms', 's3-policy-denies-wrong-key', 's3-realtime-coverage', 's3-tls-only-policy']);
    }
  });
});
