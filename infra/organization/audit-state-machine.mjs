// The organization audit's state machine (Amazon States Language, JSONata): list the accounts,
// audit each one in a child execution of a Distributed Map, merge the results.
//
//   ListAccounts ──▶ AuditAccounts (Distributed Map over the account list in S3) ──▶ MergeResults
//                      └─ per account: AuditAccount ──(any error)──▶ RecordNotAudited
//
// Payloads stay small (state payloads are capped at 256 KB): the account list, each account's
// result and the Map's results live in the reports bucket and travel as references.
//
// `${…}` placeholders are filled by the state machine's DefinitionSubstitutions (central
// template), textually. Each fills a whole string: the function ARNs; the service integrations,
// which name their partition like any ARN (arn:aws:states:::lambda:invoke, arn:aws-us-gov:… in
// GovCloud); and MaxConcurrency's JSONata expression. A whole-string placeholder is also what
// cfn-lint recognises (its schema wants arn:aws: integrations and a number for MaxConcurrency).

/** The placeholders the definition uses; the central template substitutes exactly these. */
export const DEFINITION_PLACEHOLDERS = /** @type {const} */ ([
  'LambdaInvoke',
  'S3GetObject',
  'S3PutObject',
  'ListAccountsFunctionArn',
  'AuditMemberFunctionArn',
  'MergeFunctionArn',
  'MaxConcurrencyExpression',
]);

/** The service integrations, in the partition of the stack's region. */
export const INTEGRATIONS = { LambdaInvoke: 'lambda:invoke', S3GetObject: 's3:getObject', S3PutObject: 's3:putObject' };

/** Lambda's own transient failures: worth retrying, with backoff and full jitter. */
export const LAMBDA_TRANSIENT_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

const retryTransientLambdaErrors = () => [
  { ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
];

/**
 * A Task that invokes one of the audit's functions and passes on its answer.
 * @param {string} functionArnPlaceholder
 * @param {unknown} payload
 */
const invoke = (functionArnPlaceholder, payload) => ({
  Type: 'Task',
  Resource: '${LambdaInvoke}',
  Arguments: { FunctionName: `\${${functionArnPlaceholder}}`, Payload: payload },
  Retry: retryTransientLambdaErrors(),
  Output: '{% $states.result.Payload %}',
});

/** Twelve hours: a run still going then is stuck, and the next night's run starts anyway. */
export const EXECUTION_TIMEOUT_SECONDS = 43200;

export const auditStateMachineDefinition = () => ({
  Comment: 'S3 encryption audit of every account of the organization: list, audit each account, merge.',
  QueryLanguage: 'JSONata',
  TimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
  StartAt: 'ListAccounts',
  States: {
    ListAccounts: {
      ...invoke('ListAccountsFunctionArn', {
        startedAt: '{% $states.context.Execution.StartTime %}',
        executionName: '{% $states.context.Execution.Name %}',
      }),
      Next: 'AuditAccounts',
    },
    AuditAccounts: {
      Type: 'Map',
      ItemReader: {
        Resource: '${S3GetObject}',
        ReaderConfig: { InputType: 'JSON' },
        Arguments: { Bucket: '{% $states.input.accounts.bucket %}', Key: '{% $states.input.accounts.key %}' },
      },
      ItemSelector: { run: '{% $states.input.run %}', account: '{% $states.context.Map.Item.Value %}' },
      // The whole JSONata expression is substituted ("{% 40 %}", from the MaxConcurrency parameter):
      // substitution is textual, so "${MaxConcurrency}" alone would leave the string "40".
      MaxConcurrency: '${MaxConcurrencyExpression}',
      // Every failure of a child is recorded as a not-audited account, and the merge must run
      // whatever happened to the accounts: the Map itself never fails on its items.
      ToleratedFailurePercentage: 100,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'AuditAccount',
        States: {
          AuditAccount: {
            ...invoke('AuditMemberFunctionArn', '{% $states.input %}'),
            Catch: [
              {
                ErrorEquals: ['States.ALL'],
                Next: 'RecordNotAudited',
                Output: '{% $merge([$states.input, {"failure": $states.errorOutput}]) %}',
              },
            ],
            End: true,
          },
          RecordNotAudited: { ...invoke('AuditMemberFunctionArn', '{% $states.input %}'), End: true },
        },
      },
      ResultWriter: {
        Resource: '${S3PutObject}',
        Arguments: { Bucket: '{% $states.input.results.bucket %}', Prefix: '{% $states.input.results.prefix %}' },
      },
      Output: '{% $merge([$states.input, {"mapRun": $states.result}]) %}',
      Next: 'MergeResults',
    },
    MergeResults: { ...invoke('MergeFunctionArn', '{% $states.input %}'), End: true },
  },
});
