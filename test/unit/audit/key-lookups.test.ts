import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, type DescribeKeyCommandInput } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KeyLookups, NAMED_BY_LISTED, type FactSources } from '../../../functions/audit-encryption/gather-facts.js';
import { KmsKeyInspector } from '../../../shared/adapters/kms-key-inspector.js';
import { lookupId } from '../../../shared/audit/audit-facts.js';
import type { BucketInspector } from '../../../shared/ports/bucket-inspector.js';
import { ACCOUNT, OTHER, REQUIRED, awsError } from './fixtures.js';

const east = new KMSClient({ region: 'us-east-1' });
const west = new KMSClient({ region: 'eu-west-1' });
const kmsEast = mockClient(east);
const kmsWest = mockClient(west);

/** The lookups only read keys: any bucket call is a mistake. */
const noBuckets = new Proxy({} as BucketInspector, {
  get: (_target, name) => () => Promise.reject(new Error(`unexpected bucket call ${String(name)}`)),
});

const sources = (concurrency = 4): FactSources => ({
  buckets: noBuckets,
  keys: new KmsKeyInspector((region) => (region === 'eu-west-1' ? west : east)),
  concurrency,
});

const KEY_POLICY = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] });

const metadata = (arn: string) => ({
  KeyMetadata: { KeyId: arn.split('/')[1], Arn: arn, AWSAccountId: ACCOUNT, KeyState: 'Enabled' as const, KeyManager: 'CUSTOMER' as const, KeySpec: 'SYMMETRIC_DEFAULT' as const, Origin: 'AWS_KMS' as const },
});

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
};
const settle = () => new Promise((done) => setTimeout(done, 0));

const named = (reference: string, by: string, region = 'us-east-1') => ({ region, reference, namedBy: [by] });

beforeEach(() => {
  for (const mock of [kmsEast, kmsWest]) mock.reset();
  kmsEast.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  kmsEast.on(GetKeyPolicyCommand).resolves({ Policy: KEY_POLICY });
});

describe('KeyLookups', () => {
  it('two buckets naming the same key at once cause one lookup: the second waits on the first', async () => {
    const answer = deferred();
    kmsEast.on(DescribeKeyCommand).callsFake(async (input: DescribeKeyCommandInput) => {
      await answer.promise;
      return metadata(input.KeyId === OTHER ? OTHER : REQUIRED);
    });
    const lookups = new KeyLookups(sources());
    const first = lookups.resolve([named(OTHER, 'bucket a-bucket default encryption')]);
    const second = lookups.resolve([named(OTHER, 'bucket b-bucket default encryption')]);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await settle();
    expect(secondDone).toBe(false);
    expect(lookups.known.size).toBe(0);

    answer.resolve();
    await Promise.all([first, second]);
    expect(kmsEast.commandCalls(DescribeKeyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: OTHER }]);
    expect(kmsEast.commandCalls(GetKeyRotationStatusCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: OTHER }]);
    expect(kmsEast.commandCalls(GetKeyPolicyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: OTHER, PolicyName: 'default' }]);
    expect(lookups.known.get(lookupId('us-east-1', OTHER))).toMatchObject({
      kind: 'found',
      key: { arn: OTHER, state: 'Enabled', rotation: { ok: true, value: { enabled: true, periodDays: 365 } }, policy: { ok: true, value: KEY_POLICY } },
    });

    // Known now: naming it again looks nothing up.
    await lookups.resolve([named(OTHER, 'bucket c-bucket default encryption')]);
    expect(kmsEast.commandCalls(DescribeKeyCommand)).toHaveLength(1);
    expect(lookups.namedReferences()).toEqual([
      { region: 'us-east-1', reference: OTHER, namedBy: ['bucket a-bucket default encryption', 'bucket b-bucket default encryption', 'bucket c-bucket default encryption'] },
    ]);
  });

  it('names every reference once, with everyone who named it, in the order first named; a reference in another region is another lookup', async () => {
    kmsEast.on(DescribeKeyCommand).resolves(metadata(REQUIRED));
    kmsWest.on(DescribeKeyCommand).rejects(awsError('NotFoundException', 400, 'Alias arn:aws:kms:eu-west-1:123456789012:alias/data is not found.'));
    const lookups = new KeyLookups(sources());
    await lookups.resolve([named('alias/data', 'REQUIRED_KMS_KEY')]);
    await Promise.all([
      lookups.resolve([named('alias/data', 'bucket z-bucket default encryption'), named(REQUIRED, 'bucket z-bucket default encryption')]),
      lookups.resolve([named('alias/data', 'bucket eu-bucket default encryption', 'eu-west-1'), named('alias/data', 'bucket a-bucket default encryption')]),
    ]);
    expect(lookups.namedReferences()).toEqual([
      { region: 'us-east-1', reference: 'alias/data', namedBy: ['REQUIRED_KMS_KEY', 'bucket a-bucket default encryption', 'bucket z-bucket default encryption'] },
      { region: 'us-east-1', reference: REQUIRED, namedBy: ['bucket z-bucket default encryption'] },
      { region: 'eu-west-1', reference: 'alias/data', namedBy: ['bucket eu-bucket default encryption'] },
    ]);
    expect(kmsEast.commandCalls(DescribeKeyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: 'alias/data' }, { KeyId: REQUIRED }]);
    expect(kmsWest.commandCalls(DescribeKeyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: 'alias/data' }]);
    expect(lookups.known.get(lookupId('eu-west-1', 'alias/data'))).toEqual({ kind: 'not-found' });
  });

  it('a lookup that fails is known as an error, and whoever waited on it goes on', async () => {
    const answer = deferred();
    kmsEast.on(DescribeKeyCommand).callsFake(async () => {
      await answer.promise;
      throw awsError('AccessDeniedException', 400, 'not authorized to perform kms:DescribeKey');
    });
    const lookups = new KeyLookups(sources());
    const both = Promise.all([lookups.resolve([named(OTHER, 'bucket a-bucket default encryption')]), lookups.resolve([named(OTHER, 'bucket b-bucket default encryption')])]);
    answer.resolve();
    await both;
    expect(kmsEast.commandCalls(DescribeKeyCommand)).toHaveLength(1);
    expect(lookups.known.get(lookupId('us-east-1', OTHER))).toEqual({
      kind: 'error',
      error: { operation: 'DescribeKey', code: 'AccessDeniedException', message: 'DescribeKey failed: AccessDeniedException (HTTP 400): not authorized to perform kms:DescribeKey' },
    });
  });

  it('looks up at most `concurrency` keys at once', async () => {
    let running = 0;
    let most = 0;
    kmsEast.on(DescribeKeyCommand).callsFake(async (input: DescribeKeyCommandInput) => {
      running += 1;
      most = Math.max(most, running);
      await settle();
      running -= 1;
      return metadata(`arn:aws:kms:us-east-1:${ACCOUNT}:key/${String(input.KeyId).replace('alias/', '')}`);
    });
    const lookups = new KeyLookups(sources(2));
    await lookups.resolve(['alias/a', 'alias/b', 'alias/c', 'alias/d', 'alias/e'].map((reference) => named(reference, 'POLICY')), 2);
    expect(kmsEast.commandCalls(DescribeKeyCommand)).toHaveLength(5);
    expect(most).toBe(2);
    expect(lookups.known.size).toBe(5);
  });

  it('lists the first NAMED_BY_LISTED who name a key and counts the rest, so a key the whole account uses costs no more memory', async () => {
    kmsEast.on(DescribeKeyCommand).resolves(metadata(REQUIRED));
    kmsEast.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true });
    kmsEast.on(GetKeyPolicyCommand).resolves({ Policy: KEY_POLICY });
    const lookups = new KeyLookups(sources());
    const names = Array.from({ length: NAMED_BY_LISTED + 40 }, (_, index) => `bucket b-${String(index).padStart(3, '0')} default encryption`);
    for (const name of names) await lookups.resolve([named(REQUIRED, name)]);
    // A name already listed is not counted again (each bucket names its keys once per run).
    await lookups.resolve([named(REQUIRED, names[0] as string)]);
    expect(lookups.namedReferences()).toEqual([
      { region: 'us-east-1', reference: REQUIRED, namedBy: [...names.slice(0, NAMED_BY_LISTED), 'and 40 more'] },
    ]);
    expect(kmsEast.commandCalls(DescribeKeyCommand)).toHaveLength(1);
  });
});
