// A simulated AWS organization for the benchmarks: its accounts as Organizations lists them (20 a page),
// STS answering AssumeRole for each member, and each member account a SimulatedAccount of its own
// (bench/lib/simulated-account.mjs) whose S3, KMS and SSM answer at the SDK's HTTP boundary after a
// latency. Each account opened gets SDK clients of its own — the endpoint is per account, the
// credentials those its role gave — as functions/audit-member-account/member-access.ts makes them.
// Deterministic: account i is the same at every size.
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { setTimeout as sleep } from 'node:timers/promises';
import { SsmMemberDeploymentReader } from '../../shared/adapters/ssm-member-deployment-reader.ts';
import { StsRoleAssumer } from '../../shared/adapters/sts-role-assumer.ts';
import { SimulatedAccount } from './simulated-account.mjs';
import { answer, el, kmsAnswer, kmsError, s3Error, simulatedClient } from './simulated-aws.mjs';

/** @import { OpenAccountFor } from '../../functions/audit-member-account/member-access.ts' */
/** @import { AccountLister, OrganizationAccount } from '../../shared/ports/account-lister.ts' */
/** @import { ResourceControlPolicies } from '../../shared/ports/resource-control-policies.ts' */
/** @import { CallCounter, CommandInput, Respond } from './simulated-aws.mjs' */

/** Member i is account 200000000000 + i: twelve digits, never the caller's. */
const MEMBER_BASE = 200_000_000_000;
/** ListAccounts' largest page. */
export const ACCOUNTS_PAGE = 20;

/** @param {number} index */
export const memberAccountId = (index) => String(MEMBER_BASE + index);
/** The member's index, or -1 for an id that is not a member's. @param {string} accountId */
export const memberIndex = (accountId) => {
  const index = /^\d{12}$/.test(accountId) ? Number(accountId) - MEMBER_BASE : -1;
  return index >= 0 && index < MEMBER_BASE ? index : -1;
};
/** The name Organizations gives member i (its id in it: a name is per account). @param {string} accountId */
export const memberName = (accountId) => `member-${accountId}`;

/**
 * Organizations' ListAccounts for `accounts` members, a page of 20 at a time, each page made when it
 * is asked for (nothing of the organization is held) and answered after `latencyMs`.
 * @param {{ accounts: number, latencyMs: number, statusOf?: (index: number) => string }} options
 * @returns {AccountLister}
 */
export const simulatedLister = ({ accounts, latencyMs, statusOf = () => 'ACTIVE' }) => ({
  async *accountPages() {
    for (let first = 0; first < accounts; first += ACCOUNTS_PAGE) {
      if (latencyMs > 0) await sleep(latencyMs);
      /** @type {OrganizationAccount[]} */
      const page = [];
      for (let index = first; index < Math.min(accounts, first + ACCOUNTS_PAGE); index += 1) {
        const id = memberAccountId(index);
        page.push({ id, name: memberName(id), email: `${id}@bench.invalid`, status: statusOf(index) });
      }
      yield page;
    }
  },
  accountIdsUnder: async () => new Set(),
});

/** The simulated organization's one root. */
export const SIMULATED_ROOT = 'r-bench';

/**
 * The organization's RCPs and tree as Organizations answers them for `accounts` members, all under
 * the root: RCPs enabled and none attached that denies anything (every member not covered), the
 * management account outside the members. Each call answered after `latencyMs`; the tree, a
 * member to its parent, is what the list step holds for its RCP coverage.
 * @param {{ accounts: number, latencyMs: number }} options
 * @returns {ResourceControlPolicies}
 */
export const simulatedResourceControlPolicies = ({ accounts, latencyMs }) => {
  const latency = async () => {
    if (latencyMs > 0) await sleep(latencyMs);
  };
  return {
    managementAccountId: async () => (await latency(), '100000000000'),
    roots: async () => (await latency(), [{ id: SIMULATED_ROOT, rcpEnabled: true }]),
    policies: async () => (await latency(), []),
    targetsOf: async () => (await latency(), []),
    parentsUnder: async () => {
      /** @type {Map<string, string>} */
      const parentOf = new Map();
      for (let first = 0; first < accounts; first += ACCOUNTS_PAGE) {
        if (latencyMs > 0) await sleep(latencyMs);
        for (let index = first; index < Math.min(accounts, first + ACCOUNTS_PAGE); index += 1) parentOf.set(memberAccountId(index), SIMULATED_ROOT);
      }
      return parentOf;
    },
  };
};

/**
 * @typedef {object} SimulatedOrganizationOptions
 * @property {number} accounts
 * @property {number} buckets Buckets per member account.
 * @property {number} keys Customer-managed keys per member account (the required one first).
 * @property {string} region
 * @property {number} latencyMs Every call's latency: STS, S3, KMS, SSM alike.
 * @property {string} requiredKeyAlias REQUIRED_KMS_KEY as the organization's configuration names it: an alias each member resolves to its own key.
 * @property {string} parameterName The SSM parameter each member's stack publishes.
 * @property {CallCounter} [counter] Counts every command of every member's clients and of STS.
 */

export class SimulatedOrganization {
  /** @param {SimulatedOrganizationOptions} options */
  constructor(options) {
    this.options = options;
    this.opened = 0;
  }

  /** Member `accountId` as a simulated account: made when it is opened, the same each time. @param {string} accountId */
  member(accountId) {
    const { buckets, keys, region } = this.options;
    return new SimulatedAccount({ buckets, keys, region, account: accountId, queueArn: `arn:aws:sqs:${region}:${accountId}:s3-encryption-enforcer-object-created` });
  }

  /**
   * What member `account` answers: its buckets and keys, the alias of its required key, and the
   * parameter its member stack published.
   * @param {SimulatedAccount} account
   * @returns {Respond}
   */
  memberRespond(account) {
    const { region, requiredKeyAlias, parameterName } = this.options;
    const deployment = JSON.stringify({
      schemaVersion: 1,
      region,
      requiredKeyArn: account.requiredKeyArn,
      enforcerQueueArn: account.queueArn,
      enforcerFunctionArn: `arn:aws:lambda:${region}:${account.account}:function:s3-encryption-enforcer-enforce-object-encryption`,
      version: 'bench',
    });
    /** @param {CommandInput} input */
    const resolved = (input) => (input.KeyId === requiredKeyAlias ? { ...input, KeyId: account.requiredKeyArn } : input);
    return (command, input) => {
      switch (command) {
        case 'GetParameterCommand':
          if (input.Name !== parameterName) return kmsError('ParameterNotFound', `${input.Name} not found`);
          return kmsAnswer({
            Parameter: { Name: parameterName, Type: 'String', Value: deployment, Version: 1, LastModifiedDate: 1735689600, ARN: `arn:aws:ssm:${region}:${account.account}:parameter${parameterName}`, DataType: 'text' },
          });
        case 'DescribeKeyCommand':
        case 'GetKeyRotationStatusCommand':
        case 'GetKeyPolicyCommand':
          return account.respond(command, resolved(input));
        default:
          return account.respond(command, input);
      }
    };
  }

  /**
   * STS as the caller's client reaches it: AssumeRole of the member role answers credentials for
   * members of the organization, AccessDenied for anyone else.
   * @type {Respond}
   */
  stsRespond = (command, input) => {
    if (command !== 'AssumeRoleCommand') return s3Error(400, 'InvalidAction', `the simulated STS does not answer ${command}`);
    const accountId = String(input.RoleArn).split(':')[4] ?? '';
    if (memberIndex(accountId) < 0 || memberIndex(accountId) >= this.options.accounts) {
      return answer(403, { 'content-type': 'text/xml' }, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not a member</Message></Error><RequestId>bench</RequestId></ErrorResponse>`);
    }
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    const credentials = `<Credentials>${el('AccessKeyId', `ASIA${accountId}BENCH`)}${el('SecretAccessKey', 'bench-secret')}${el('SessionToken', `bench-session-${accountId}`)}${el('Expiration', expiration)}</Credentials>`;
    const user = `<AssumedRoleUser>${el('AssumedRoleId', `AROABENCH:${input.RoleSessionName}`)}${el('Arn', `arn:aws:sts::${accountId}:assumed-role/bench/${input.RoleSessionName}`)}</AssumedRoleUser>`;
    return answer(
      200,
      { 'content-type': 'text/xml' },
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>${credentials}${user}</AssumeRoleResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  };

  /**
   * How the run opens a member, as functions/audit-member-account/member-access.ts does for any
   * account but the caller's: the member role assumed by the real StsRoleAssumer (over a simulated
   * STS client of the caller's), then clients of the member's own, made per region on first use, with
   * the credentials the role gave, and destroyed when the account's audit ends.
   * @param {{ roleName: string, sessionName: string }} role
   * @returns {OpenAccountFor}
   */
  openAccountWith({ roleName, sessionName }) {
    const { region, latencyMs, counter, parameterName } = this.options;
    const sts = /** @type {STSClient} */ (/** @type {unknown} */ (simulatedClient(/** @type {any} */ (STSClient), { region, latencyMs, respond: this.stsRespond, counter })));
    const assumer = new StsRoleAssumer(sts, { roleName, partition: 'aws', sessionName });
    return async (accountId) => {
      const access = await assumer.assume(accountId);
      if (access.kind === 'refused') return access;
      this.opened += 1;
      const respond = this.memberRespond(this.member(accountId));
      /** @type {Set<{ destroy(): void }>} */
      const made = new Set();
      /**
       * @template C
       * @param {new (config: any) => C} ClientClass
       * @returns {(region: string) => C}
       */
      const regional = (ClientClass) => {
        /** @type {Map<string, C>} */
        const clients = new Map();
        return (clientRegion) => {
          let client = clients.get(clientRegion);
          if (!client) {
            const simulated = simulatedClient(/** @type {any} */ (ClientClass), { region: clientRegion, latencyMs, respond, counter, extra: { credentials: access.credentials } });
            made.add(simulated);
            client = /** @type {C} */ (/** @type {unknown} */ (simulated));
            clients.set(clientRegion, client);
          }
          return client;
        };
      };
      return {
        kind: 'open',
        clients: { s3In: regional(S3Client), kmsIn: regional(KMSClient) },
        deployments: new SsmMemberDeploymentReader(regional(SSMClient), parameterName),
        close: () => made.forEach((client) => client.destroy()),
      };
    };
  }
}
