import { createRequire } from 'node:module';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { DEFINITION_PLACEHOLDERS, LAMBDA_TRANSIENT_ERRORS, auditStateMachineDefinition } from '../../../infra/organization/audit-state-machine.mjs';
import { centralTemplate } from '../../../infra/organization/central-template.mjs';
import { resource } from './support/packaged-template.js';
import { SAMPLE_SUBSTITUTIONS, VERSION, asTemplate, placeholdersOf, substitutedDefinition } from './support/organization-templates.js';

interface AslValidation {
  readonly isValid: boolean;
  readonly errors: readonly unknown[];
}
const validateAsl = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => AslValidation;

type State = Record<string, unknown> & { Arguments?: Record<string, unknown>; Output?: string; Catch?: Record<string, unknown>[] };
const definition = substitutedDefinition(SAMPLE_SUBSTITUTIONS) as {
  States: Record<string, State>;
};
const states = definition.States;
const map = states['AuditAccounts'] as State & {
  ItemReader: { Arguments: Record<string, unknown> };
  ResultWriter: { Arguments: Record<string, unknown> };
  ItemSelector: Record<string, unknown>;
  ItemProcessor: { States: Record<string, State> };
};
const child = map.ItemProcessor.States;

const JSONATA = /^\{% ([\s\S]+) %\}$/;

/** Evaluates a JSONata template the way Step Functions does: every "{% … %}" string, with $states bound. */
const evaluate = async (template: unknown, $states: Record<string, unknown>): Promise<unknown> => {
  if (typeof template === 'string') {
    const expression = JSONATA.exec(template)?.[1];
    return expression === undefined ? template : jsonata(expression).evaluate({}, { states: $states });
  }
  if (Array.isArray(template)) return Promise.all(template.map((item) => evaluate(item, $states)));
  if (template !== null && typeof template === 'object') {
    const entries = await Promise.all(Object.entries(template).map(async ([key, value]) => [key, await evaluate(value, $states)] as const));
    return Object.fromEntries(entries);
  }
  return template;
};

// What the functions answer (the contract of the organization audit's functions).
const RUN = { runId: 'run-2026-12-04T03-00-00Z', startedAt: '2026-12-04T03:00:00.123Z' };
const LISTED = {
  run: RUN,
  accounts: { bucket: 'reports-bucket', key: 'encryption-audit/runs/run-1/accounts.json', count: 2 },
  listing: { bucket: 'reports-bucket', key: 'encryption-audit/runs/run-1/listing.json' },
  results: { bucket: 'reports-bucket', prefix: 'encryption-audit/runs/run-1/map-results' },
};
const ACCOUNT = { accountId: '111122223333', name: 'workloads-prod' };
const MAP_RUN = {
  MapRunArn: 'arn:aws:states:eu-west-1:111122223333:mapRun:s3-encryption-enforcer-organization-audit/AuditAccounts:1',
  ResultWriterDetails: { Bucket: 'reports-bucket', Key: 'encryption-audit/runs/run-1/map-results/1/manifest.json' },
};
const lambdaResult = (Payload: unknown) => ({ ExecutedVersion: '$LATEST', Payload, StatusCode: 200 });

describe('the organization audit state machine', () => {
  it('is valid Amazon States Language once CloudFormation has substituted its placeholders', () => {
    const { isValid, errors } = validateAsl(structuredClone(definition));
    expect({ isValid, errors }).toEqual({ isValid: true, errors: [] });
  });

  it('would be refused by the validator with a broken transition or an invalid JSONata expression', () => {
    const broken = structuredClone(definition);
    (broken.States['ListAccounts'] as State)['Next'] = 'NoSuchState';
    expect(validateAsl(broken).isValid).toBe(false);
    const badExpression = structuredClone(definition);
    (badExpression.States['MergeResults'] as State).Output = '{% $states.result.Payload[ %}';
    expect(validateAsl(badExpression).isValid).toBe(false);
  });

  it('uses exactly the declared placeholders, and the central template substitutes every one of them', () => {
    const raw = auditStateMachineDefinition();
    expect(placeholdersOf(raw)).toEqual([...DEFINITION_PLACEHOLDERS].sort());
    const machine = resource(asTemplate(centralTemplate({ version: VERSION })), 'AuditStateMachine');
    expect(Object.keys(machine.Properties['DefinitionSubstitutions'] as object).sort()).toEqual([...DEFINITION_PLACEHOLDERS].sort());
    expect(machine.Properties['Definition']).toEqual(raw);
    expect(placeholdersOf(definition)).toEqual([]);
  });

  it('is written in JSONata and runs ListAccounts, then the Distributed Map, then the merge', () => {
    expect(definition).toMatchObject({ QueryLanguage: 'JSONata', StartAt: 'ListAccounts', TimeoutSeconds: 43200 });
    expect(Object.keys(states)).toEqual(['ListAccounts', 'AuditAccounts', 'MergeResults']);
    expect(states['ListAccounts']).toMatchObject({ Type: 'Task', Next: 'AuditAccounts' });
    expect(map).toMatchObject({ Type: 'Map', Next: 'MergeResults' });
    expect(states['MergeResults']).toMatchObject({ Type: 'Task', End: true });
  });

  it('invokes each function with the Lambda integration, retrying only Lambda transient errors, with backoff and full jitter', () => {
    const tasks = { ListAccounts: states['ListAccounts'], MergeResults: states['MergeResults'], AuditAccount: child['AuditAccount'], RecordNotAudited: child['RecordNotAudited'] };
    const functions = {
      ListAccounts: SAMPLE_SUBSTITUTIONS.ListAccountsFunctionArn,
      MergeResults: SAMPLE_SUBSTITUTIONS.MergeFunctionArn,
      AuditAccount: SAMPLE_SUBSTITUTIONS.AuditMemberFunctionArn,
      RecordNotAudited: SAMPLE_SUBSTITUTIONS.AuditMemberFunctionArn,
    };
    expect(LAMBDA_TRANSIENT_ERRORS).toEqual(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException']);
    for (const [name, task] of Object.entries(tasks)) {
      expect(task, name).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Arguments: { FunctionName: functions[name as keyof typeof functions] },
        Output: '{% $states.result.Payload %}',
        Retry: [{ ErrorEquals: LAMBDA_TRANSIENT_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' }],
      });
    }
  });

  it('runs each account in a standard child execution, reads the account list from S3, writes the results to S3, and never fails on an account', () => {
    expect(map.ItemProcessor).toMatchObject({ ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'AuditAccount' });
    expect(map.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON' },
      Arguments: { Bucket: '{% $states.input.accounts.bucket %}', Key: '{% $states.input.accounts.key %}' },
    });
    expect(map.ResultWriter).toEqual({
      Resource: 'arn:aws:states:::s3:putObject',
      Arguments: { Bucket: '{% $states.input.results.bucket %}', Prefix: '{% $states.input.results.prefix %}' },
    });
    expect(map['ToleratedFailurePercentage']).toBe(100);
    expect(child['AuditAccount']?.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], Next: 'RecordNotAudited', Output: '{% $merge([$states.input, {"failure": $states.errorOutput}]) %}' },
    ]);
    expect(child['AuditAccount']).toMatchObject({ End: true });
    expect(child['RecordNotAudited']).toMatchObject({ End: true });
    expect(child['RecordNotAudited']?.Catch).toBeUndefined();
  });

  it('takes MaxConcurrency from the MaxConcurrency parameter as a JSONata number', async () => {
    const machine = resource(asTemplate(centralTemplate({ version: VERSION })), 'AuditStateMachine');
    expect((machine.Properties['DefinitionSubstitutions'] as Record<string, unknown>)['MaxConcurrencyExpression']).toEqual({ 'Fn::Sub': '{% ${MaxConcurrency} %}' });
    expect(await evaluate(map['MaxConcurrency'], {})).toBe(40);
  });
});

describe('the data flow between the states (JSONata evaluated as Step Functions does)', () => {
  it('ListAccounts passes the execution start time and name, and hands on the function answer', async () => {
    const context = { Execution: { StartTime: RUN.startedAt, Name: 'nightly-2026-12-04' } };
    expect(await evaluate(states['ListAccounts']?.Arguments, { context, input: {} })).toEqual({
      FunctionName: SAMPLE_SUBSTITUTIONS.ListAccountsFunctionArn,
      Payload: { startedAt: RUN.startedAt, executionName: 'nightly-2026-12-04' },
    });
    expect(await evaluate(states['ListAccounts']?.Output, { result: lambdaResult(LISTED) })).toEqual(LISTED);
  });

  it('the Map reads the account list named by ListAccounts and gives each child the run and one account', async () => {
    expect(await evaluate(map.ItemReader.Arguments, { input: LISTED })).toEqual({ Bucket: 'reports-bucket', Key: 'encryption-audit/runs/run-1/accounts.json' });
    expect(await evaluate(map.ItemSelector, { input: LISTED, context: { Map: { Item: { Index: 0, Value: ACCOUNT } } } })).toEqual({ run: RUN, account: ACCOUNT });
    expect(await evaluate(map.ResultWriter.Arguments, { input: LISTED })).toEqual({ Bucket: 'reports-bucket', Prefix: 'encryption-audit/runs/run-1/map-results' });
  });

  it('a child audits its account, and records a failure as a not-audited account with the error', async () => {
    const item = { run: RUN, account: ACCOUNT };
    const audit = child['AuditAccount'] as State;
    expect(await evaluate(audit.Arguments, { input: item })).toEqual({ FunctionName: SAMPLE_SUBSTITUTIONS.AuditMemberFunctionArn, Payload: item });
    const audited = { accountId: ACCOUNT.accountId, status: 'audited' };
    expect(await evaluate(audit.Output, { input: item, result: lambdaResult(audited) })).toEqual(audited);

    const errorOutput = { Error: 'States.TaskFailed', Cause: 'AccessDenied: not authorized to perform sts:AssumeRole' };
    const caught = await evaluate(audit.Catch?.[0]?.['Output'], { input: item, errorOutput });
    expect(caught).toEqual({ run: RUN, account: ACCOUNT, failure: errorOutput });
    const record = child['RecordNotAudited'] as State;
    expect(await evaluate(record.Arguments, { input: caught })).toEqual({ FunctionName: SAMPLE_SUBSTITUTIONS.AuditMemberFunctionArn, Payload: caught });
    const notAudited = { accountId: ACCOUNT.accountId, status: 'not-audited' };
    expect(await evaluate(record.Output, { input: caught, result: lambdaResult(notAudited) })).toEqual(notAudited);
  });

  it('the merge gets the run, the account list, the listing, the results and the map run', async () => {
    const merged = await evaluate(map.Output, { input: LISTED, result: MAP_RUN });
    expect(merged).toEqual({ ...LISTED, mapRun: MAP_RUN });
    expect(await evaluate(states['MergeResults']?.Arguments, { input: merged })).toEqual({ FunctionName: SAMPLE_SUBSTITUTIONS.MergeFunctionArn, Payload: merged });
    expect(JSON.stringify(merged).length).toBeLessThan(2048);
  });
});
