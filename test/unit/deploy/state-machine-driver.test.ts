import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { auditStateMachineDefinition, INTEGRATIONS } from '../../../infra/organization/audit-state-machine.mjs';
import { DefinitionError, PAYLOAD_LIMIT_BYTES, runStateMachine, StatesError } from '../../../tooling/state-machine-driver.mjs';

/**
 * The local Step Functions driver (tooling/state-machine-driver.mjs) on small definitions: JSONata
 * evaluated with $states bound, Retry and Catch as the ASL specification says, and every construct
 * it does not interpret refused before anything runs. The organization audit's own definition runs
 * end to end on a mocked S3, the data flow the integration tier then runs with the built bundles.
 */
const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:step';
const NEXT_FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:next';
const RESOURCE = 'arn:aws:states:::lambda:invoke';

type Invocation = { functionArn: string; payload: unknown };

const recorder = (answer: (invocation: Invocation, calls: number) => unknown) => {
  const calls: Invocation[] = [];
  const invoke = async (functionArn: string, payload: unknown): Promise<unknown> => {
    const invocation = { functionArn, payload };
    calls.push(invocation);
    return answer(invocation, calls.length);
  };
  return { calls, invoke };
};

const task = (fields: Record<string, unknown>) => ({ Type: 'Task', Resource: '${Invoke}', Arguments: { FunctionName: '${Fn}', Payload: '{% $states.input %}' }, ...fields });
const machine = (states: Record<string, unknown>, startAt = Object.keys(states)[0]) => ({ QueryLanguage: 'JSONata', StartAt: startAt, States: states });
const substitutions = { Invoke: RESOURCE, Fn: FUNCTION, Next: NEXT_FUNCTION };

describe('runStateMachine', () => {
  it('evaluates every {% %} expression with $states bound: the context, the input, then the result in Output', async () => {
    const { calls, invoke } = recorder(() => ({ answer: 42, echoed: 'kept' }));
    const definition = machine({
      Step: task({
        Arguments: {
          FunctionName: '${Fn}',
          Payload: {
            startedAt: '{% $states.context.Execution.StartTime %}',
            name: '{% $states.context.Execution.Name %}',
            doubled: '{% $states.input.n * 2 %}',
            literal: 'not an expression {% 1 %}',
          },
        },
        Output: '{% $merge([$states.input, {"answer": $states.result.Payload.answer, "status": $states.result.StatusCode}]) %}',
        End: true,
      }),
    });

    const run = await runStateMachine({ definition, substitutions, input: { n: 21 }, executionName: 'nightly-1', startTime: '2026-12-04T03:00:00.000Z', invoke });

    expect(calls).toEqual([{ functionArn: FUNCTION, payload: { startedAt: '2026-12-04T03:00:00.000Z', name: 'nightly-1', doubled: 42, literal: 'not an expression {% 1 %}' } }]);
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { n: 21, answer: 42, status: 200 } });
    expect(run.trace).toEqual([
      {
        execution: 'nightly-1',
        state: 'Step',
        input: { n: 21 },
        attempts: [{ arguments: { FunctionName: FUNCTION, Payload: calls[0]?.payload }, result: { ExecutedVersion: '$LATEST', Payload: { answer: 42, echoed: 'kept' }, StatusCode: 200 } }],
        output: { n: 21, answer: 42, status: 200 },
      },
    ]);
  });

  it('hands a function’s error to the catcher as Lambda reports it, and a StatesError as it is, with $states.errorOutput in the catcher’s Output', async () => {
    const definition = machine({
      Step: task({
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Record', Output: '{% $merge([$states.input, {"failure": $states.errorOutput}]) %}' }],
        End: true,
      }),
      Record: task({ Arguments: { FunctionName: '${Next}', Payload: '{% $states.input %}' }, Output: '{% $states.result.Payload %}', End: true }),
    });
    const failing = (error: unknown) => recorder(({ functionArn, payload }) => {
      if (functionArn === FUNCTION) throw error;
      return { recorded: payload };
    });

    const crash = failing(new TypeError('cannot read x of undefined'));
    const crashed = await runStateMachine({ definition, substitutions, input: { account: '111122223333' }, invoke: crash.invoke });
    const timeout = failing(new StatesError('States.Timeout', 'Task timed out after 900.00 seconds'));
    const timedOut = await runStateMachine({ definition, substitutions, input: { account: '111122223333' }, invoke: timeout.invoke });

    expect(crashed).toMatchObject({
      status: 'SUCCEEDED',
      output: { recorded: { account: '111122223333', failure: { Error: 'TypeError', Cause: JSON.stringify({ errorMessage: 'cannot read x of undefined', errorType: 'TypeError' }) } } },
    });
    expect(crashed.trace[0]).toMatchObject({ state: 'Step', caughtBy: 'Record', attempts: [{ error: { Error: 'TypeError' } }] });
    expect(timedOut).toMatchObject({ status: 'SUCCEEDED', output: { recorded: { failure: { Error: 'States.Timeout', Cause: 'Task timed out after 900.00 seconds' } } } });
    expect(timeout.calls.map((call) => call.functionArn)).toEqual([FUNCTION, NEXT_FUNCTION]);
  });

  it('without a matching catcher the execution fails with the error; States.ALL does not catch States.DataLimitExceeded', async () => {
    const definition = machine({
      Step: task({ Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Record' }], End: true }),
      Record: task({ End: true }),
    });
    const { calls, invoke } = recorder(() => ({ blob: 'x'.repeat(PAYLOAD_LIMIT_BYTES) }));

    const run = await runStateMachine({ definition, substitutions, input: {}, invoke });

    expect(run).toMatchObject({ status: 'FAILED', error: { Error: 'States.DataLimitExceeded' } });
    expect(run.trace).toEqual([expect.objectContaining({ state: 'Step', error: expect.objectContaining({ Error: 'States.DataLimitExceeded' }) })]);
    expect(run.trace[0]?.caughtBy).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  it('retries the errors a retrier names, up to MaxAttempts, with backoff scaled as asked; others go straight to the catcher', async () => {
    const definition = machine({
      Step: task({
        Retry: [{ ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 3 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Record', Output: '{% $states.errorOutput %}' }],
        Output: '{% $states.result.Payload %}',
        End: true,
      }),
      Record: task({ Arguments: { FunctionName: '${Next}', Payload: '{% $states.input %}' }, Output: '{% {"caught": $states.result.Payload} %}', End: true }),
    });
    const sleeps: number[] = [];
    const sleep = async (ms: number) => void sleeps.push(ms);
    const throttled = new StatesError('Lambda.TooManyRequestsException', 'Rate Exceeded.');

    const recovers = recorder(({ functionArn, payload }, calls) => {
      if (functionArn === FUNCTION && calls <= 2) throw throttled;
      return payload;
    });
    const recovered = await runStateMachine({ definition, substitutions, input: { ok: true }, invoke: recovers.invoke, sleep, retryIntervalScale: 0.5 });
    const exhausts = recorder(({ functionArn, payload }) => {
      if (functionArn === FUNCTION) throw throttled;
      return payload;
    });
    const exhausted = await runStateMachine({ definition, substitutions, input: {}, invoke: exhausts.invoke, sleep, retryIntervalScale: 0 });
    const other = recorder(({ functionArn, payload }) => {
      if (functionArn === FUNCTION) throw new Error('boom');
      return payload;
    });
    const notRetried = await runStateMachine({ definition, substitutions, input: {}, invoke: other.invoke, sleep, retryIntervalScale: 0 });

    expect(recovered).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
    expect(recovered.trace[0]?.attempts).toHaveLength(3);
    expect(exhausts.calls.map((call) => call.functionArn)).toEqual([FUNCTION, FUNCTION, FUNCTION, NEXT_FUNCTION]);
    expect(exhausted).toMatchObject({ status: 'SUCCEEDED', output: { caught: { Error: 'Lambda.TooManyRequestsException', Cause: 'Rate Exceeded.' } } });
    // 2 s, then 2 s × 3, halved; then the same at scale 0.
    expect(sleeps).toEqual([1000, 3000, 0, 0]);
    expect(other.calls.map((call) => call.functionArn)).toEqual([FUNCTION, NEXT_FUNCTION]);
    expect(notRetried).toMatchObject({ status: 'SUCCEEDED', output: { caught: { Error: 'Error' } } });
  });

  it('refuses, before running anything, a construct it does not interpret or that Step Functions would reject', async () => {
    const { calls, invoke } = recorder(() => ({}));
    const refused = async (definition: unknown, extra: Record<string, string> = {}) =>
      runStateMachine({ definition: definition as object, substitutions: { ...substitutions, ...extra }, input: {}, invoke }).then(
        () => 'ran',
        (error: unknown) => (error instanceof DefinitionError ? error.location : `threw ${String(error)}`),
      );

    expect(await refused(machine({ Wait: { Type: 'Pass', End: true } }))).toBe('$.States.Wait.Type');
    expect(await refused(machine({ Step: task({ TimeoutSeconds: 30, End: true }) }))).toBe('$.States.Step.TimeoutSeconds');
    expect(await refused(machine({ Step: task({ Assign: { x: 1 }, End: true }) }))).toBe('$.States.Step.Assign');
    expect(await refused(machine({ Step: task({ Arguments: { FunctionName: '${Fn}', Payload: {}, InvocationType: 'Event' }, End: true }) }))).toBe('$.States.Step.Arguments.InvocationType');
    expect(await refused(machine({ Step: task({ Resource: 'arn:aws:states:::sqs:sendMessage', End: true }) }))).toBe('$.States.Step.Resource');
    expect(await refused(machine({ Step: task({ Retry: [{ ErrorEquals: ['States.ALL'], Jitter: 'FULL' }], End: true }) }))).toBe('$.States.Step.Retry[0].Jitter');
    expect(await refused({ ...machine({ Step: task({ End: true }) }), QueryLanguage: 'JSONPath' })).toBe('$.QueryLanguage');
    expect(await refused({ ...machine({ Step: task({ End: true }) }), Version: '1.0' })).toBe('$.Version');
    expect(await refused(machine({ Step: task({ Next: 'Missing' }) }))).toBe('$.States.Step.Next');
    expect(await refused(machine({ Step: task({ Arguments: { FunctionName: '${Unknown}' }, End: true }) }))).toBe('DefinitionSubstitutions');
    // A MaxConcurrency placeholder substituted alone leaves a string, which Step Functions rejects.
    const audit = auditStateMachineDefinition();
    expect(await refused(audit, auditSubstitutions('40'))).toBe('$.States.AuditAccounts.MaxConcurrency');
    const inline = structuredClone(audit) as { States: { AuditAccounts: { ItemProcessor: { ProcessorConfig: Record<string, unknown> } } } };
    inline.States.AuditAccounts.ItemProcessor.ProcessorConfig['Mode'] = 'INLINE';
    expect(await refused(inline, auditSubstitutions())).toBe('$.States.AuditAccounts.ItemProcessor.ProcessorConfig.Mode');
    expect(calls).toEqual([]);
  });
});

const auditSubstitutions = (maxConcurrency = '{% 2 %}'): Record<string, string> => ({
  ...Object.fromEntries(Object.entries(INTEGRATIONS).map(([placeholder, integration]) => [placeholder, `arn:aws:states:::${integration}`])),
  ListAccountsFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:list',
  AuditMemberFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:audit',
  MergeFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:merge',
  MaxConcurrencyExpression: maxConcurrency,
});

describe('runStateMachine on the organization audit definition, S3 mocked', () => {
  const s3Mock = mockClient(S3Client);
  afterEach(() => s3Mock.reset());

  it('reads the items, runs MaxConcurrency children at most, catches a failed child, writes what ResultWriter writes and hands the merge a reference', async () => {
    const accounts = ['111111111111', '222222222222', '333333333333', '444444444444', '555555555555'].map((accountId) => ({ accountId, name: `n-${accountId}` }));
    s3Mock.on(GetObjectCommand, { Bucket: 'reports', Key: 'org/accounts.json' }).resolves({ Body: { transformToString: async () => JSON.stringify(accounts) } as never });
    s3Mock.on(PutObjectCommand).resolves({});
    let inFlight = 0;
    let peak = 0;
    const listing = { run: { runId: 'r1' }, accounts: { bucket: 'reports', key: 'org/accounts.json', count: 5 }, results: { bucket: 'reports', prefix: 'org/map-results' } };
    const { calls, invoke } = recorder(async ({ functionArn, payload }) => {
      const fields = payload as { account?: { accountId: string }; failure?: unknown };
      if (functionArn.endsWith(':list')) return listing;
      if (functionArn.endsWith(':merge')) return { merged: true };
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      if (fields.account?.accountId === '333333333333' && !fields.failure) throw new StatesError('States.Timeout', '');
      return { accountId: fields.account?.accountId, status: fields.failure ? 'not-audited' : 'audited' };
    });
    let ids = 0;

    const run = await runStateMachine({
      definition: auditStateMachineDefinition(),
      substitutions: auditSubstitutions(),
      input: {},
      executionName: 'night',
      startTime: '2026-12-04T03:00:00.000Z',
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:org-audit',
      invoke,
      s3: new S3Client({ region: 'us-east-1' }),
      newId: () => `id-${(ids += 1)}`,
    });

    expect(run.status).toBe('SUCCEEDED');
    expect(peak).toBe(2);
    expect(calls[0]).toEqual({ functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:list', payload: { startedAt: '2026-12-04T03:00:00.000Z', executionName: 'night' } });
    const children = calls.filter((call) => call.functionArn.endsWith(':audit'));
    expect(children.map((call) => call.payload)).toEqual(
      expect.arrayContaining([
        { run: listing.run, account: accounts[0] },
        { run: listing.run, account: accounts[2] },
        { run: listing.run, account: accounts[2], failure: { Error: 'States.Timeout', Cause: '' } },
      ]),
    );
    expect(children).toHaveLength(6);
    const mapRunArn = 'arn:aws:states:us-east-1:123456789012:mapRun:org-audit/AuditAccounts:id-1';
    const mapRun = { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: 'reports', Key: 'org/map-results/id-1/manifest.json' } };
    expect(calls.at(-1)).toEqual({ functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:merge', payload: { ...listing, mapRun } });
    expect(run).toMatchObject({ output: { merged: true } });

    const written = Object.fromEntries(s3Mock.commandCalls(PutObjectCommand).map((call) => [call.args[0].input.Key, JSON.parse(String(call.args[0].input.Body))]));
    expect(Object.keys(written).sort()).toEqual(['org/map-results/id-1/SUCCEEDED_0.json', 'org/map-results/id-1/manifest.json']);
    const succeeded = written['org/map-results/id-1/SUCCEEDED_0.json'] as Record<string, unknown>[];
    expect(succeeded).toHaveLength(5);
    expect(succeeded[2]).toMatchObject({
      ExecutionArn: expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:execution:org-audit\/AuditAccounts:id-\d+$/),
      Input: JSON.stringify({ run: listing.run, account: accounts[2] }),
      InputDetails: { Included: true },
      Output: JSON.stringify({ accountId: '333333333333', status: 'not-audited' }),
      OutputDetails: { Included: true },
      RedriveCount: 0,
      RedriveStatus: 'NOT_REDRIVABLE',
      StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:org-audit/AuditAccounts',
      Status: 'SUCCEEDED',
    });
    expect(written['org/map-results/id-1/manifest.json']).toEqual({
      DestinationBucket: 'reports',
      MapRunArn: mapRunArn,
      ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: [{ Key: 'org/map-results/id-1/SUCCEEDED_0.json', Size: expect.any(Number) }] },
    });
  });
});
