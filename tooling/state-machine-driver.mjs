// Runs a Step Functions state machine on this machine, for the integration tier and local runs: an
// interpreter of exactly the Amazon States Language the organization audit's definition uses
// (QueryLanguage JSONata; Task states on lambda:invoke with Retry, Catch and Output; a Distributed
// Map reading its items from S3 and writing its results there), each `{% … %}` evaluated by the
// real `jsonata` package, the engine Step Functions implements. moto interprets ASL too, but it
// cannot run our Lambda code; here the caller's `invoke` runs the built handlers.
//
// Anything else in a definition — a state type, a field, an integration this file does not know —
// is refused before the first state runs: the driver never silently skips a construct.
import { randomUUID } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import jsonata from 'jsonata';

/** @import { S3Client } from '@aws-sdk/client-s3' */

/** Step Functions' limit on a state's input or output, and on a Map run's items passed on. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/** Errors `States.ALL` does not match: only a retrier or catcher naming them does. */
const TERMINAL_ERRORS = new Set(['States.DataLimitExceeded', 'States.Runtime']);

const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const S3_GET_OBJECT = /^arn:aws[a-z-]*:states:::s3:getObject$/;
const S3_PUT_OBJECT = /^arn:aws[a-z-]*:states:::s3:putObject$/;
const JSONATA = /^\{%([\s\S]*)%\}$/;
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const STATE_MACHINE_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]+)$/;

/** @typedef {{ Error: string, Cause: string }} ErrorOutput What a failed state hands a catcher, as `$states.errorOutput`. */

/**
 * A definition the driver refuses before running it: valid ASL it does not interpret, or ASL Step
 * Functions itself would reject. `location` is where, as a path into the definition.
 */
export class DefinitionError extends Error {
  /** @param {string} location @param {string} problem */
  constructor(location, problem) {
    super(`${location}: ${problem}`);
    this.name = 'DefinitionError';
    this.location = location;
  }
}

/**
 * A failure as Step Functions names it (`States.Timeout`, `Lambda.TooManyRequestsException`, …),
 * for an `invoke` to throw when it plays the service rather than the function: it reaches Retry
 * and Catch as `{ Error, Cause }` unchanged. Anything else `invoke` throws is the function's own
 * error, reported as Lambda reports it (`Error` = its errorType, `Cause` = the JSON of the error).
 */
export class StatesError extends Error {
  /** @param {string} error @param {string} [cause] */
  constructor(error, cause = '') {
    super(`${error}${cause ? `: ${cause}` : ''}`);
    this.name = 'StatesError';
    /** @type {ErrorOutput} */
    this.errorOutput = { Error: error, Cause: cause };
  }
}

/**
 * @typedef {object} TaskAttempt
 * @property {unknown} arguments What `Arguments` evaluated to: the request the integration was sent.
 * @property {unknown} [result] The integration's answer (`$states.result`).
 * @property {ErrorOutput} [error]
 */

/**
 * One state as it ran, in the order states were entered (a Map's children after the Map is entered).
 * @typedef {object} TraceEntry
 * @property {string} execution The execution's name; a Map's children have names of their own.
 * @property {string} state
 * @property {string} [map] For a state of a Map's child: the Map state.
 * @property {number} [item] For a state of a Map's child: the item's index.
 * @property {unknown} input
 * @property {unknown} [output] What the state handed on (absent when it failed).
 * @property {ErrorOutput} [error] Why it failed, when no catcher took the failure.
 * @property {TaskAttempt[]} [attempts] A Task's invocations, retries included.
 * @property {string} [caughtBy] The state a catcher sent the failure to.
 * @property {string} [mapRunArn]
 */

/**
 * @typedef {object} ChildRecord One child execution of a Map run, as its ResultWriter reports it.
 * @property {string} name
 * @property {string} arn
 * @property {unknown} input
 * @property {'SUCCEEDED' | 'FAILED'} status
 * @property {unknown} [output]
 * @property {ErrorOutput} [error]
 * @property {string} startDate
 * @property {string} stopDate
 */

/**
 * @typedef {(functionArn: string, payload: unknown) => Promise<unknown>} Invoke
 * Runs the function with the payload and answers what its handler returned; throws what it threw
 * (or a StatesError, for a failure of the service or integration).
 */

/**
 * @typedef {object} RunOptions
 * @property {object | string} definition The definition, as an object or its JSON text, before substitution.
 * @property {Readonly<Record<string, string | number | boolean>>} [substitutions] DefinitionSubstitutions: each `${Name}` replaced in the JSON text.
 * @property {unknown} input The execution's input.
 * @property {string} [executionName] Default: a new UUID.
 * @property {Date | string} [startTime] `$states.context.Execution.StartTime`; default: now.
 * @property {string} [stateMachineArn] Names the execution, its Map runs and child executions.
 * @property {string} [roleArn] `$states.context.Execution.RoleArn`.
 * @property {Invoke} invoke What `arn:aws:states:::lambda:invoke` calls.
 * @property {S3Client} [s3] For ItemReader and ResultWriter; needed only by a definition with a Distributed Map.
 * @property {number} [retryIntervalScale] Multiplies every Retry interval; 0 retries at once (tests). Default 1.
 * @property {(ms: number) => Promise<void>} [sleep]
 * @property {() => string} [newId] Names child executions and Map runs; default randomUUID.
 */

/**
 * @typedef {{ status: 'SUCCEEDED', executionArn: string, output: unknown, trace: TraceEntry[] }
 *   | { status: 'FAILED', executionArn: string, error: ErrorOutput, trace: TraceEntry[] }} RunResult
 */

// ---------------------------------------------------------------------------------------------
// Substitution and validation, before anything runs.

/** @param {unknown} value @returns {value is Record<string, unknown>} */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The definition with each `${Name}` replaced by its value in the JSON text, as CloudFormation's
 * DefinitionSubstitutions do: textually, so a value lands inside whatever string held the placeholder.
 * @param {object | string} definition
 * @param {Readonly<Record<string, string | number | boolean>>} substitutions
 * @returns {unknown}
 */
export const substituteDefinition = (definition, substitutions) => {
  const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
  const substituted = text.replace(PLACEHOLDER, (whole, /** @type {string} */ name) => {
    if (!Object.hasOwn(substitutions, name)) throw new DefinitionError('DefinitionSubstitutions', `the definition uses ${whole}, which is not substituted`);
    return String(substitutions[name]);
  });
  try {
    return JSON.parse(substituted);
  } catch (error) {
    throw new DefinitionError('DefinitionSubstitutions', `the definition is not JSON once substituted (${error instanceof Error ? error.message : String(error)})`);
  }
};

/**
 * @param {Record<string, unknown>} node
 * @param {string} where
 * @param {readonly string[]} allowed
 */
const onlyFields = (node, where, allowed) => {
  for (const field of Object.keys(node)) {
    if (!allowed.includes(field)) throw new DefinitionError(`${where}.${field}`, `a field this driver does not interpret (it knows ${allowed.join(', ')})`);
  }
};

/** @param {unknown} value @param {string} where @returns {Record<string, unknown>} */
const objectAt = (value, where) => {
  if (!isObject(value)) throw new DefinitionError(where, 'must be a JSON object');
  return value;
};

/** @param {unknown} value @param {string} where */
const isExpressionOrNumber = (value, where) => {
  if (typeof value === 'number') return;
  if (typeof value === 'string' && JSONATA.test(value)) return;
  throw new DefinitionError(where, `must be a number or a JSONata expression "{% … %}", not ${JSON.stringify(value)}`);
};

/** @param {unknown} value @param {string} where @param {readonly string[]} keys */
const argumentsWithKeys = (value, where, keys) => {
  if (typeof value === 'string' && JSONATA.test(value)) return;
  onlyFields(objectAt(value, where), where, keys);
};

/**
 * @param {Record<string, unknown>} rule
 * @param {string} where
 */
const validateErrorEquals = (rule, where) => {
  const errors = rule['ErrorEquals'];
  if (!Array.isArray(errors) || errors.length === 0 || !errors.every((name) => typeof name === 'string')) {
    throw new DefinitionError(`${where}.ErrorEquals`, 'must be a non-empty list of error names');
  }
  if (errors.includes('States.ALL') && errors.length > 1) throw new DefinitionError(`${where}.ErrorEquals`, 'States.ALL must appear alone');
};

/**
 * @param {unknown[]} rules A Retry or Catch list, each rule already an object.
 * @param {string} where
 */
const statesAllLast = (rules, where) => {
  const index = rules.findIndex((rule) => /** @type {{ ErrorEquals: string[] }} */ (rule).ErrorEquals.includes('States.ALL'));
  if (index !== -1 && index !== rules.length - 1) throw new DefinitionError(`${where}[${index}].ErrorEquals`, 'States.ALL must be in the last rule');
};

/**
 * @param {Record<string, unknown>} state
 * @param {string} where
 * @param {Record<string, unknown>} states
 */
const validateTransition = (state, where, states) => {
  const hasNext = state['Next'] !== undefined;
  if (hasNext === (state['End'] === true)) throw new DefinitionError(where, 'needs exactly one of Next and End: true');
  if (state['End'] !== undefined && state['End'] !== true) throw new DefinitionError(`${where}.End`, 'must be true when present');
  if (hasNext && (typeof state['Next'] !== 'string' || !Object.hasOwn(states, state['Next']))) {
    throw new DefinitionError(`${where}.Next`, `names no state of this machine: ${JSON.stringify(state['Next'])}`);
  }
};

/**
 * @param {Record<string, unknown>} state
 * @param {string} where
 * @param {Record<string, unknown>} states
 */
const validateTask = (state, where, states) => {
  onlyFields(state, where, ['Type', 'Comment', 'Resource', 'Arguments', 'Retry', 'Catch', 'Output', 'Next', 'End']);
  if (typeof state['Resource'] !== 'string' || !LAMBDA_INVOKE.test(state['Resource'])) {
    throw new DefinitionError(`${where}.Resource`, `only arn:<partition>:states:::lambda:invoke is interpreted, not ${JSON.stringify(state['Resource'])}`);
  }
  argumentsWithKeys(state['Arguments'], `${where}.Arguments`, ['FunctionName', 'Payload']);
  const retry = state['Retry'] ?? [];
  if (!Array.isArray(retry)) throw new DefinitionError(`${where}.Retry`, 'must be a list');
  retry.forEach((rule, index) => {
    const at = `${where}.Retry[${index}]`;
    const retrier = objectAt(rule, at);
    onlyFields(retrier, at, ['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy', 'Comment']);
    validateErrorEquals(retrier, at);
    for (const field of ['IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds']) {
      const value = retrier[field];
      if (value !== undefined && (typeof value !== 'number' || value < 0)) throw new DefinitionError(`${at}.${field}`, 'must be a non-negative number');
    }
    if (retrier['JitterStrategy'] !== undefined && !['FULL', 'NONE'].includes(String(retrier['JitterStrategy']))) {
      throw new DefinitionError(`${at}.JitterStrategy`, 'must be FULL or NONE');
    }
  });
  statesAllLast(retry, `${where}.Retry`);
  const catchers = state['Catch'] ?? [];
  if (!Array.isArray(catchers)) throw new DefinitionError(`${where}.Catch`, 'must be a list');
  catchers.forEach((rule, index) => {
    const at = `${where}.Catch[${index}]`;
    const catcher = objectAt(rule, at);
    onlyFields(catcher, at, ['ErrorEquals', 'Next', 'Output', 'Comment']);
    validateErrorEquals(catcher, at);
    if (typeof catcher['Next'] !== 'string' || !Object.hasOwn(states, catcher['Next'])) throw new DefinitionError(`${at}.Next`, 'names no state of this machine');
  });
  statesAllLast(catchers, `${where}.Catch`);
  validateTransition(state, where, states);
};

/**
 * @param {Record<string, unknown>} state
 * @param {string} where
 * @param {Record<string, unknown>} states
 */
const validateMap = (state, where, states) => {
  onlyFields(state, where, ['Type', 'Comment', 'ItemReader', 'ItemSelector', 'MaxConcurrency', 'ToleratedFailurePercentage', 'ItemProcessor', 'ResultWriter', 'Output', 'Next', 'End']);
  const processor = objectAt(state['ItemProcessor'], `${where}.ItemProcessor`);
  onlyFields(processor, `${where}.ItemProcessor`, ['ProcessorConfig', 'StartAt', 'States']);
  const config = objectAt(processor['ProcessorConfig'], `${where}.ItemProcessor.ProcessorConfig`);
  onlyFields(config, `${where}.ItemProcessor.ProcessorConfig`, ['Mode', 'ExecutionType']);
  if (config['Mode'] !== 'DISTRIBUTED') throw new DefinitionError(`${where}.ItemProcessor.ProcessorConfig.Mode`, `only DISTRIBUTED is interpreted, not ${JSON.stringify(config['Mode'])}`);
  if (config['ExecutionType'] !== 'STANDARD') {
    throw new DefinitionError(`${where}.ItemProcessor.ProcessorConfig.ExecutionType`, `only STANDARD child executions are interpreted, not ${JSON.stringify(config['ExecutionType'])}`);
  }
  validateStates(processor, `${where}.ItemProcessor`);

  const reader = objectAt(state['ItemReader'], `${where}.ItemReader`);
  onlyFields(reader, `${where}.ItemReader`, ['Resource', 'ReaderConfig', 'Arguments']);
  if (typeof reader['Resource'] !== 'string' || !S3_GET_OBJECT.test(reader['Resource'])) {
    throw new DefinitionError(`${where}.ItemReader.Resource`, `only arn:<partition>:states:::s3:getObject is interpreted, not ${JSON.stringify(reader['Resource'])}`);
  }
  const readerConfig = objectAt(reader['ReaderConfig'], `${where}.ItemReader.ReaderConfig`);
  onlyFields(readerConfig, `${where}.ItemReader.ReaderConfig`, ['InputType']);
  if (readerConfig['InputType'] !== 'JSON') throw new DefinitionError(`${where}.ItemReader.ReaderConfig.InputType`, `only JSON is interpreted, not ${JSON.stringify(readerConfig['InputType'])}`);
  argumentsWithKeys(reader['Arguments'], `${where}.ItemReader.Arguments`, ['Bucket', 'Key']);

  if (state['ResultWriter'] !== undefined) {
    const writer = objectAt(state['ResultWriter'], `${where}.ResultWriter`);
    onlyFields(writer, `${where}.ResultWriter`, ['Resource', 'Arguments']);
    if (typeof writer['Resource'] !== 'string' || !S3_PUT_OBJECT.test(writer['Resource'])) {
      throw new DefinitionError(`${where}.ResultWriter.Resource`, `only arn:<partition>:states:::s3:putObject is interpreted, not ${JSON.stringify(writer['Resource'])}`);
    }
    argumentsWithKeys(writer['Arguments'], `${where}.ResultWriter.Arguments`, ['Bucket', 'Prefix']);
  }
  if (state['MaxConcurrency'] !== undefined) isExpressionOrNumber(state['MaxConcurrency'], `${where}.MaxConcurrency`);
  if (state['ToleratedFailurePercentage'] !== undefined) isExpressionOrNumber(state['ToleratedFailurePercentage'], `${where}.ToleratedFailurePercentage`);
  validateTransition(state, where, states);
};

/**
 * @param {Record<string, unknown>} machine
 * @param {string} where
 */
const validateStates = (machine, where) => {
  const states = objectAt(machine['States'], `${where}.States`);
  if (typeof machine['StartAt'] !== 'string' || !Object.hasOwn(states, machine['StartAt'])) {
    throw new DefinitionError(`${where}.StartAt`, `names no state of this machine: ${JSON.stringify(machine['StartAt'])}`);
  }
  for (const [name, value] of Object.entries(states)) {
    const at = `${where}.States.${name}`;
    const state = objectAt(value, at);
    if (state['Type'] === 'Task') validateTask(state, at, states);
    else if (state['Type'] === 'Map') validateMap(state, at, states);
    else throw new DefinitionError(`${at}.Type`, `state type ${JSON.stringify(state['Type'])} is not interpreted (only Task and Map are)`);
  }
};

/**
 * Refuses, before anything runs, a definition using what this driver does not interpret.
 * @param {unknown} definition The substituted definition.
 * @returns {Record<string, unknown>}
 */
export const validateDefinition = (definition) => {
  const machine = objectAt(definition, '$');
  onlyFields(machine, '$', ['Comment', 'QueryLanguage', 'TimeoutSeconds', 'StartAt', 'States']);
  if (machine['QueryLanguage'] !== 'JSONata') throw new DefinitionError('$.QueryLanguage', `only JSONata is interpreted, not ${JSON.stringify(machine['QueryLanguage'] ?? 'JSONPath')}`);
  const timeout = machine['TimeoutSeconds'];
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0)) {
    throw new DefinitionError('$.TimeoutSeconds', 'must be a positive whole number of seconds');
  }
  validateStates(machine, '$');
  return machine;
};

// ---------------------------------------------------------------------------------------------
// Evaluation.

/** @type {Map<string, ReturnType<typeof jsonata>>} */
const compiled = new Map();

/** @param {unknown} value */
const jsonCopy = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/** @param {unknown} value */
const sizeOf = (value) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/**
 * A `{% … %}` string evaluated with `$states` bound, as Step Functions evaluates it; an object or
 * array with each of its values evaluated; anything else as it is.
 * @param {unknown} template
 * @param {Record<string, unknown>} states
 * @param {string} where
 * @returns {Promise<unknown>}
 */
const evaluate = async (template, states, where) => {
  if (typeof template === 'string') {
    const match = JSONATA.exec(template);
    if (!match) return template;
    const source = match[1] ?? '';
    let value;
    try {
      let expression = compiled.get(source);
      if (!expression) {
        expression = jsonata(source);
        compiled.set(source, expression);
      }
      value = await expression.evaluate(undefined, { states });
    } catch (error) {
      const message = /** @type {{ message?: unknown }} */ (error)?.message;
      throw new StatesError('States.QueryEvaluationError', `${where}: ${String(message ?? error)}`);
    }
    if (value === undefined) throw new StatesError('States.QueryEvaluationError', `${where}: the expression ${template} evaluated to nothing`);
    return jsonCopy(value);
  }
  if (Array.isArray(template)) {
    const values = [];
    for (const [index, item] of template.entries()) values.push(await evaluate(item, states, `${where}[${index}]`));
    return values;
  }
  if (isObject(template)) {
    /** @type {Record<string, unknown>} */
    const values = {};
    for (const [key, item] of Object.entries(template)) values[key] = await evaluate(item, states, `${where}.${key}`);
    return values;
  }
  return template;
};

/** @param {readonly string[]} names @param {string} error */
const matches = (names, error) => names.includes(error) || (names.includes('States.ALL') && !TERMINAL_ERRORS.has(error));

/**
 * What an invocation's failure is to Retry and Catch: a StatesError as it is; the function's own
 * error as Lambda reports it to Step Functions.
 * @param {unknown} error
 * @returns {ErrorOutput}
 */
const errorOutputOf = (error) => {
  if (error instanceof StatesError) return error.errorOutput;
  const fields = /** @type {{ name?: unknown, message?: unknown, errorType?: unknown, errorMessage?: unknown } | null | undefined} */ (error);
  const errorType = String(fields?.errorType ?? fields?.name ?? 'Error');
  const errorMessage = String(fields?.errorMessage ?? fields?.message ?? error);
  return { Error: errorType, Cause: JSON.stringify({ errorMessage, errorType }) };
};

/** @param {unknown} value @param {string} where */
const checkedPayload = (value, where) => {
  const bytes = sizeOf(value);
  if (bytes > PAYLOAD_LIMIT_BYTES) throw new StatesError('States.DataLimitExceeded', `${where} is ${bytes} bytes, over Step Functions' ${PAYLOAD_LIMIT_BYTES}`);
  return value;
};

/** @param {unknown} args @param {string} where @returns {Record<string, unknown>} */
const argumentObject = (args, where) => {
  if (!isObject(args)) throw new StatesError('States.Runtime', `${where} must evaluate to an object`);
  return args;
};

// ---------------------------------------------------------------------------------------------
// Running.

/**
 * @typedef {object} Run The parts of one execution (and its children) every state needs.
 * @property {Invoke} invoke
 * @property {S3Client | undefined} s3
 * @property {TraceEntry[]} trace
 * @property {number} retryIntervalScale
 * @property {(ms: number) => Promise<void>} sleep
 * @property {() => string} newId
 * @property {{ partition: string, region: string, account: string, name: string, arn: string }} stateMachine
 * @property {string} roleArn
 * @property {number} deadline Real time (ms) after which the execution times out.
 * @property {(at?: number) => string} clock The execution's time: its start time plus the real time elapsed.
 */

/**
 * @typedef {object} Execution One execution: the main one, or a Map's child.
 * @property {string} name
 * @property {string} arn
 * @property {unknown} input
 * @property {string} startTime
 * @property {{ Id: string, Name: string }} stateMachine
 * @property {{ map: string, item: number } | undefined} child
 */

/**
 * `$states.context` for a state of an execution.
 * @param {Run} run
 * @param {Execution} execution
 * @param {string} state
 * @param {string} enteredTime
 * @param {number} retryCount
 */
const contextOf = (run, execution, state, enteredTime, retryCount) => ({
  Execution: { Id: execution.arn, Input: execution.input, Name: execution.name, RoleArn: run.roleArn, StartTime: execution.startTime, RedriveCount: 0 },
  State: { EnteredTime: enteredTime, Name: state, RetryCount: retryCount },
  StateMachine: execution.stateMachine,
});

/** @param {Execution} execution @param {string} state @param {unknown} input @returns {TraceEntry} */
const traceEntry = (execution, state, input) => ({
  execution: execution.name,
  state,
  ...(execution.child ? { map: execution.child.map, item: execution.child.item } : {}),
  input,
});

/**
 * @param {Record<string, unknown>} rule
 * @param {number} retries How many times this retrier already retried.
 * @param {number} scale
 */
const retryDelayMs = (rule, retries, scale) => {
  const interval = typeof rule['IntervalSeconds'] === 'number' ? rule['IntervalSeconds'] : 1;
  const backoff = typeof rule['BackoffRate'] === 'number' ? rule['BackoffRate'] : 2;
  const max = typeof rule['MaxDelaySeconds'] === 'number' ? rule['MaxDelaySeconds'] : Number.POSITIVE_INFINITY;
  const seconds = Math.min(interval * backoff ** retries, max);
  const jittered = rule['JitterStrategy'] === 'FULL' ? Math.random() * seconds : seconds;
  return jittered * 1000 * scale;
};

/**
 * A Task on lambda:invoke: Arguments, the invocation (retried as Retry says), then Output or a
 * catcher's Output.
 * @param {Run} run
 * @param {Execution} execution
 * @param {string} name
 * @param {Record<string, unknown>} state
 * @param {unknown} input
 * @returns {Promise<{ output: unknown, next: string | undefined } | { failed: ErrorOutput }>}
 */
const runTask = async (run, execution, name, state, input) => {
  const entry = traceEntry(execution, name, input);
  /** @type {TaskAttempt[]} */
  const attempts = [];
  entry.attempts = attempts;
  run.trace.push(entry);
  const retriers = /** @type {Record<string, unknown>[]} */ (state['Retry'] ?? []);
  const catchers = /** @type {Record<string, unknown>[]} */ (state['Catch'] ?? []);
  const retried = retriers.map(() => 0);
  const enteredTime = run.clock();
  for (;;) {
    const context = contextOf(run, execution, name, enteredTime, attempts.length);
    /** @type {TaskAttempt | undefined} */
    let attempt;
    try {
      const args = argumentObject(await evaluate(state['Arguments'], { input, context }, `${name}.Arguments`), `${name}.Arguments`);
      attempt = { arguments: args };
      attempts.push(attempt);
      for (const key of Object.keys(args)) if (key !== 'FunctionName' && key !== 'Payload') throw new DefinitionError(`${name}.Arguments.${key}`, 'a lambda:invoke parameter this driver does not interpret');
      if (typeof args['FunctionName'] !== 'string') throw new StatesError('States.Runtime', `${name}.Arguments.FunctionName must be a string`);
      checkedPayload(args['Payload'], `${name}'s Payload`);
      let payload;
      try {
        payload = await run.invoke(args['FunctionName'], jsonCopy(args['Payload'] ?? {}));
      } catch (error) {
        if (error instanceof DefinitionError) throw error;
        const { Error: name, Cause } = errorOutputOf(error);
        throw new StatesError(name, Cause);
      }
      const result = { ExecutedVersion: '$LATEST', Payload: jsonCopy(payload ?? null), StatusCode: 200 };
      attempt.result = result;
      const output = state['Output'] === undefined ? result : await evaluate(state['Output'], { input, result, context }, `${name}.Output`);
      entry.output = checkedPayload(output, `${name}'s output`);
      return { output: entry.output, next: /** @type {string | undefined} */ (state['Next']) };
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const failure = error.errorOutput;
      if (attempt && !attempt.result) attempt.error = failure;
      const index = retriers.findIndex((rule) => matches(/** @type {string[]} */ (rule['ErrorEquals']), failure.Error));
      const retrier = retriers[index];
      if (retrier) {
        const maxAttempts = typeof retrier['MaxAttempts'] === 'number' ? retrier['MaxAttempts'] : 3;
        const done = retried[index] ?? 0;
        if (done < maxAttempts) {
          retried[index] = done + 1;
          await run.sleep(retryDelayMs(retrier, done, run.retryIntervalScale));
          continue;
        }
      }
      const catcher = catchers.find((rule) => matches(/** @type {string[]} */ (rule['ErrorEquals']), failure.Error));
      if (!catcher) {
        entry.error = failure;
        return { failed: failure };
      }
      try {
        const output = catcher['Output'] === undefined ? failure : await evaluate(catcher['Output'], { input, errorOutput: failure, context }, `${name}.Catch.Output`);
        entry.output = checkedPayload(output, `${name}'s output`);
        entry.caughtBy = /** @type {string} */ (catcher['Next']);
        return { output: entry.output, next: entry.caughtBy };
      } catch (caughtError) {
        if (!(caughtError instanceof StatesError)) throw caughtError;
        entry.error = caughtError.errorOutput;
        return { failed: caughtError.errorOutput };
      }
    }
  }
};

/**
 * @param {Run} run
 * @returns {S3Client}
 */
const s3Of = (run) => {
  if (!run.s3) throw new StatesError('States.Runtime', 'the definition reads or writes S3, and runStateMachine was given no s3 client');
  return run.s3;
};

/**
 * The Map's items: the JSON array in the object ItemReader names.
 * @param {Run} run
 * @param {Record<string, unknown>} args
 * @returns {Promise<unknown[]>}
 */
const readItems = async (run, args) => {
  const { Bucket, Key } = args;
  if (typeof Bucket !== 'string' || typeof Key !== 'string') throw new StatesError('States.ItemReaderFailed', 'ItemReader.Arguments must give Bucket and Key as strings');
  let text;
  try {
    const object = await s3Of(run).send(new GetObjectCommand({ Bucket, Key }));
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if (error instanceof StatesError) throw error;
    throw new StatesError('States.ItemReaderFailed', `s3://${Bucket}/${Key} could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  let items;
  try {
    items = JSON.parse(text);
  } catch {
    throw new StatesError('States.ItemReaderFailed', `s3://${Bucket}/${Key} is not JSON`);
  }
  if (!Array.isArray(items)) throw new StatesError('States.ItemReaderFailed', `s3://${Bucket}/${Key} is not a JSON array`);
  return items;
};

/**
 * What a ResultWriter writes for a Map run, as Step Functions writes it: one file per status
 * (`SUCCEEDED_0.json`, `FAILED_0.json`: JSON arrays of the child executions) and a `manifest.json`
 * naming them, under `<Prefix>/<map run id>/`.
 * @param {Run} run
 * @param {Record<string, unknown>} args
 * @param {{ arn: string, id: string, childStateMachineArn: string }} mapRun
 * @param {readonly ChildRecord[]} children
 */
const writeResults = async (run, args, mapRun, children) => {
  const { Bucket, Prefix } = args;
  if (typeof Bucket !== 'string' || typeof Prefix !== 'string') throw new StatesError('States.ResultWriterFailed', 'ResultWriter.Arguments must give Bucket and Prefix as strings');
  const base = `${Prefix === '' || Prefix.endsWith('/') ? Prefix : `${Prefix}/`}${mapRun.id}/`;
  /** @type {Record<'FAILED' | 'PENDING' | 'SUCCEEDED', { Key: string, Size: number }[]>} */
  const files = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  const put = async (/** @type {string} */ key, /** @type {string} */ body) => {
    try {
      await s3Of(run).send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: 'application/json' }));
    } catch (error) {
      if (error instanceof StatesError) throw error;
      throw new StatesError('States.ResultWriterFailed', `s3://${Bucket}/${key} could not be written: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  for (const status of /** @type {const} */ (['SUCCEEDED', 'FAILED'])) {
    const records = children.filter((child) => child.status === status);
    if (records.length === 0) continue;
    const body = JSON.stringify(
      records.map((child) => ({
        ...(child.error ? { Cause: child.error.Cause, Error: child.error.Error } : {}),
        ExecutionArn: child.arn,
        Input: JSON.stringify(child.input),
        InputDetails: { Included: true },
        Name: child.name,
        ...(status === 'SUCCEEDED' ? { Output: JSON.stringify(child.output), OutputDetails: { Included: true } } : {}),
        RedriveCount: 0,
        RedriveStatus: status === 'SUCCEEDED' ? 'NOT_REDRIVABLE' : 'REDRIVABLE_BY_MAP_RUN',
        ...(status === 'SUCCEEDED' ? { RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven' } : {}),
        StartDate: child.startDate,
        StateMachineArn: mapRun.childStateMachineArn,
        Status: status,
        StopDate: child.stopDate,
      })),
    );
    const key = `${base}${status}_0.json`;
    await put(key, body);
    files[status].push({ Key: key, Size: Buffer.byteLength(body, 'utf8') });
  }
  const manifestKey = `${base}manifest.json`;
  await put(manifestKey, JSON.stringify({ DestinationBucket: Bucket, MapRunArn: mapRun.arn, ResultFiles: files }));
  return { MapRunArn: mapRun.arn, ResultWriterDetails: { Bucket, Key: manifestKey } };
};

/**
 * Runs `work` for every item, at most `limit` at once (0: no limit), in item order; an unexpected
 * throw stops handing out items, lets the ones in flight finish, then is rethrown.
 * @template T
 * @param {readonly T[]} items
 * @param {number} limit
 * @param {(item: T, index: number) => Promise<void>} work
 */
const forEachBounded = async (items, limit, work) => {
  let next = 0;
  /** @type {unknown[]} */
  const thrown = [];
  const worker = async () => {
    while (next < items.length && thrown.length === 0) {
      const index = next;
      next += 1;
      try {
        await work(/** @type {T} */ (items[index]), index);
      } catch (error) {
        thrown.push(error);
      }
    }
  };
  const workers = Math.max(1, Math.min(limit === 0 ? items.length : limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (thrown.length > 0) throw thrown[0];
};

/**
 * A Distributed Map: items from S3, ItemSelector per item, one child execution per item with at
 * most MaxConcurrency in flight, the tolerated failures, the results written to S3.
 * @param {Run} run
 * @param {Execution} execution
 * @param {string} name
 * @param {Record<string, unknown>} state
 * @param {unknown} input
 * @returns {Promise<{ output: unknown, next: string | undefined } | { failed: ErrorOutput }>}
 */
const runMap = async (run, execution, name, state, input) => {
  const entry = traceEntry(execution, name, input);
  run.trace.push(entry);
  const enteredTime = run.clock();
  const context = contextOf(run, execution, name, enteredTime, 0);
  try {
    const reader = /** @type {Record<string, unknown>} */ (state['ItemReader']);
    const items = await readItems(run, argumentObject(await evaluate(reader['Arguments'], { input, context }, `${name}.ItemReader.Arguments`), `${name}.ItemReader.Arguments`));
    const maxConcurrency = state['MaxConcurrency'] === undefined ? 0 : await evaluate(state['MaxConcurrency'], { input, context }, `${name}.MaxConcurrency`);
    if (typeof maxConcurrency !== 'number' || !Number.isInteger(maxConcurrency) || maxConcurrency < 0) {
      throw new StatesError('States.Runtime', `${name}.MaxConcurrency must be a whole number of at least 0, not ${JSON.stringify(maxConcurrency)}`);
    }
    const tolerated = state['ToleratedFailurePercentage'] === undefined ? 0 : await evaluate(state['ToleratedFailurePercentage'], { input, context }, `${name}.ToleratedFailurePercentage`);
    if (typeof tolerated !== 'number' || tolerated < 0 || tolerated > 100) throw new StatesError('States.Runtime', `${name}.ToleratedFailurePercentage must be from 0 to 100`);

    const mapRunId = run.newId();
    const { partition, region, account, name: machineName, arn: machineArn } = run.stateMachine;
    const mapRun = {
      id: mapRunId,
      arn: `arn:${partition}:states:${region}:${account}:mapRun:${machineName}/${name}:${mapRunId}`,
      childStateMachineArn: `${machineArn}/${name}`,
    };
    entry.mapRunArn = mapRun.arn;
    const processor = /** @type {Record<string, unknown>} */ (state['ItemProcessor']);
    /** @type {ChildRecord[]} */
    const children = [];

    // Each item's input first: a failing ItemSelector fails the Map before any child starts.
    const childInputs = [];
    for (const [index, item] of items.entries()) {
      const itemContext = { ...context, Map: { Item: { Index: index, Value: item } } };
      const selected = state['ItemSelector'] === undefined ? item : await evaluate(state['ItemSelector'], { input, context: itemContext }, `${name}.ItemSelector`);
      childInputs.push(checkedPayload(selected, `${name}'s item ${index}`));
    }
    await forEachBounded(childInputs, maxConcurrency, async (childInput, index) => {
      const childName = run.newId();
      /** @type {Execution} */
      const child = {
        name: childName,
        arn: `arn:${partition}:states:${region}:${account}:execution:${machineName}/${name}:${childName}`,
        input: childInput,
        startTime: run.clock(),
        stateMachine: { Id: mapRun.childStateMachineArn, Name: `${machineName}/${name}` },
        child: { map: name, item: index },
      };
      const outcome = await runStates(run, child, processor, childInput);
      const record = { name: childName, arn: child.arn, input: childInput, startDate: child.startTime, stopDate: run.clock() };
      children[index] = 'failed' in outcome ? { ...record, status: 'FAILED', error: outcome.failed } : { ...record, status: 'SUCCEEDED', output: outcome.output };
    });

    const failed = children.filter((child) => child.status === 'FAILED').length;
    const writer = /** @type {Record<string, unknown> | undefined} */ (state['ResultWriter']);
    const result = writer
      ? await writeResults(run, argumentObject(await evaluate(writer['Arguments'], { input, context }, `${name}.ResultWriter.Arguments`), `${name}.ResultWriter.Arguments`), mapRun, children)
      : children.map((child) => (child.status === 'SUCCEEDED' ? child.output : { Error: child.error?.Error, Cause: child.error?.Cause }));
    if (items.length > 0 && (failed / items.length) * 100 > tolerated) {
      throw new StatesError('States.ExceedToleratedFailureThreshold', `${failed} of ${items.length} child executions failed, over the tolerated ${tolerated}%`);
    }
    const output = state['Output'] === undefined ? result : await evaluate(state['Output'], { input, result, context }, `${name}.Output`);
    entry.output = checkedPayload(output, `${name}'s output`);
    return { output: entry.output, next: /** @type {string | undefined} */ (state['Next']) };
  } catch (error) {
    if (!(error instanceof StatesError)) throw error;
    entry.error = error.errorOutput;
    return { failed: error.errorOutput };
  }
};

/**
 * The states of one machine (the main one, or a Map's item processor) from StartAt to an End.
 * @param {Run} run
 * @param {Execution} execution
 * @param {Record<string, unknown>} machine
 * @param {unknown} input
 * @returns {Promise<{ output: unknown } | { failed: ErrorOutput }>}
 */
const runStates = async (run, execution, machine, input) => {
  const states = /** @type {Record<string, Record<string, unknown>>} */ (machine['States']);
  let name = /** @type {string} */ (machine['StartAt']);
  let stateInput = input;
  for (;;) {
    if (Date.now() > run.deadline) return { failed: { Error: 'States.Timeout', Cause: 'the execution ran longer than the state machine\'s TimeoutSeconds' } };
    const state = /** @type {Record<string, unknown>} */ (states[name]);
    try {
      checkedPayload(stateInput, `${name}'s input`);
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      return { failed: error.errorOutput };
    }
    const outcome = state['Type'] === 'Task' ? await runTask(run, execution, name, state, stateInput) : await runMap(run, execution, name, state, stateInput);
    if ('failed' in outcome) return outcome;
    if (outcome.next === undefined) return { output: outcome.output };
    name = outcome.next;
    stateInput = outcome.output;
  }
};

/** @param {number} ms */
const realSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one execution of the definition to its end.
 * @param {RunOptions} options
 * @returns {Promise<RunResult>}
 */
export const runStateMachine = async (options) => {
  const machine = validateDefinition(substituteDefinition(options.definition, options.substitutions ?? {}));
  const stateMachineArn = options.stateMachineArn ?? 'arn:aws:states:us-east-1:123456789012:stateMachine:local-state-machine';
  const arnParts = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!arnParts) throw new RangeError(`stateMachineArn ${stateMachineArn} is not a state machine ARN`);
  const [, partition = 'aws', region = '', account = '', machineName = ''] = arnParts;
  const newId = options.newId ?? randomUUID;
  const startedAt = Date.now();
  const startTime = options.startTime === undefined ? new Date(startedAt) : new Date(options.startTime);
  if (Number.isNaN(startTime.getTime())) throw new RangeError(`startTime ${String(options.startTime)} is not a time`);
  const timeoutSeconds = /** @type {number | undefined} */ (machine['TimeoutSeconds']);
  /** @type {Run} */
  const run = {
    invoke: options.invoke,
    s3: options.s3,
    trace: [],
    retryIntervalScale: options.retryIntervalScale ?? 1,
    sleep: options.sleep ?? realSleep,
    newId,
    stateMachine: { partition, region, account, name: machineName, arn: stateMachineArn },
    roleArn: options.roleArn ?? `arn:${partition}:iam::${account}:role/${machineName}-role`,
    deadline: timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : startedAt + timeoutSeconds * 1000,
    clock: () => new Date(startTime.getTime() + (Date.now() - startedAt)).toISOString(),
  };
  const executionName = options.executionName ?? newId();
  const input = jsonCopy(options.input ?? {});
  /** @type {Execution} */
  const execution = {
    name: executionName,
    arn: `arn:${partition}:states:${region}:${account}:execution:${machineName}:${executionName}`,
    input,
    startTime: startTime.toISOString(),
    stateMachine: { Id: stateMachineArn, Name: machineName },
    child: undefined,
  };
  const outcome = await runStates(run, execution, machine, input);
  return 'failed' in outcome
    ? { status: 'FAILED', executionArn: execution.arn, error: outcome.failed, trace: run.trace }
    : { status: 'SUCCEEDED', executionArn: execution.arn, output: outcome.output, trace: run.trace };
};
