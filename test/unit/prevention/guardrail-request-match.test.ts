import { describe, expect, it } from 'vitest';
import { parsePolicyDocument } from '../../../shared/audit/iam-policy.js';
import { conditionsMatch, entryMatches, statementMatches, type RequestShape } from '../../../shared/audit/request-match.js';

const SSE = 's3:x-amz-server-side-encryption';
const KEY_ID = 's3:x-amz-server-side-encryption-aws-kms-key-id';
const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';

const shape = (context: RequestShape['context']): RequestShape => ({ action: 's3:PutObject', resource: 'arn:aws:s3:::data-bucket/k', context });
const headerless = shape({ [SSE]: null, [KEY_ID]: null, 'aws:securetransport': ['true'] });
const withKey = (key: string) => shape({ [SSE]: ['aws:kms'], [KEY_ID]: [key], 'aws:securetransport': ['true'] });
const entry = (operator: string, key: string, ...values: string[]) => ({ operator, key, values });

describe('entryMatches: an absent key', () => {
  it.each([
    ['Null', 'true', 'yes'],
    ['Null', 'false', 'no'],
    ['StringNotEquals', 'aws:kms', 'yes'],
    ['StringNotEqualsIfExists', 'aws:kms', 'yes'],
    ['ArnNotLike', REQUIRED, 'yes'],
    ['StringEquals', 'aws:kms', 'no'],
    ['StringLike', '*', 'no'],
    ['StringEqualsIfExists', 'aws:kms', 'yes'],
    ['Bool', 'false', 'no'],
    ['BoolIfExists', 'false', 'yes'],
  ])('%s %s → %s', (operator, value, expected) => {
    expect(entryMatches(entry(operator, SSE, value), headerless)).toBe(expected);
  });
});

describe('entryMatches: a present key', () => {
  it.each([
    ['StringEquals', [REQUIRED], 'yes'],
    ['StringEquals', ['alias/required'], 'no'],
    ['StringNotEquals', [REQUIRED], 'no'],
    ['StringNotEquals', ['alias/required', REQUIRED], 'no'],
    ['StringNotEquals', ['alias/required'], 'yes'],
    ['StringLike', ['arn:aws:kms:*:123456789012:key/*'], 'yes'],
    ['StringNotLike', ['arn:aws:kms:*:999999999999:key/*'], 'yes'],
    ['ArnEquals', ['arn:aws:kms:us-east-1:123456789012:key/*'], 'yes'],
    ['ArnNotEquals', [REQUIRED], 'no'],
    ['StringEqualsIgnoreCase', [REQUIRED.toUpperCase()], 'yes'],
    ['StringEqualsIfExists', [REQUIRED], 'yes'],
    ['Null', ['false'], 'yes'],
    ['Null', ['true'], 'no'],
  ])('%s %j → %s', (operator, values, expected) => {
    expect(entryMatches(entry(operator, KEY_ID, ...values), withKey(REQUIRED))).toBe(expected);
  });

  it('Bool compares without case, as IAM does', () => {
    expect(entryMatches(entry('Bool', 'aws:securetransport', 'TRUE'), headerless)).toBe('yes');
    expect(entryMatches(entry('Bool', 'aws:securetransport', 'false'), headerless)).toBe('no');
  });
});

describe('entryMatches never guesses', () => {
  it.each([
    ['a key the request shape does not describe', entry('ArnNotEquals', 'aws:principalarn', 'arn:aws:iam::123456789012:role/admin')],
    ['an operator it does not model', entry('NumericLessThan', SSE, '3')],
    ['a set operator', entry('ForAnyValue:StringEquals', SSE, 'aws:kms')],
    ['a Null test with a value that is not a boolean', entry('Null', SSE, 'maybe')],
  ])('%s is unknown', (_, condition) => {
    expect(entryMatches(condition, headerless)).toBe('unknown');
  });
});

describe('conditionsMatch', () => {
  it('ANDs the entries: one no decides, otherwise one unknown leaves it open; none is a match', () => {
    const unknown = entry('IpAddress', 'aws:sourceip', '10.0.0.0/8');
    expect(conditionsMatch([entry('Null', SSE, 'true'), unknown], headerless)).toBe('unknown');
    expect(conditionsMatch([entry('Null', SSE, 'false'), unknown], headerless)).toBe('no');
    expect(conditionsMatch([entry('Null', SSE, 'true')], headerless)).toBe('yes');
    expect(conditionsMatch([], headerless)).toBe('yes');
  });
});

describe('statementMatches', () => {
  const parsed = parsePolicyDocument({
    Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:Put*', Resource: 'arn:aws:s3:::data-bucket/*', Condition: { Null: { [SSE]: 'true' } } }],
  });
  const statement = parsed.ok ? parsed.statements[0] : undefined;

  it('needs the action and the resource before the conditions', () => {
    if (!statement) throw new Error('the policy should parse');
    expect(statementMatches(statement, headerless)).toBe('yes');
    expect(statementMatches(statement, { ...headerless, action: 's3:GetObject' })).toBe('no');
    expect(statementMatches(statement, { ...headerless, resource: 'arn:aws:s3:::other-bucket/k' })).toBe('no');
  });
});
