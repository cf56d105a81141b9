import { describe, expect, it } from 'vitest';
import { globMatches, globMatchesEveryExtension, globMatchesSomeExtension } from '../../../shared/audit/glob.js';
import {
  appliesToAction,
  appliesToEveryActionOf,
  appliesToEveryObjectOf,
  appliesToEveryResourceUnder,
  appliesToEveryone,
  appliesToResource,
  holdsForEveryRequest,
  parsePolicyDocument,
} from '../../../shared/audit/iam-policy.js';

describe('IAM wildcards', () => {
  it.each([
    ['s3:*', 's3:GetObject', true],
    ['s3:Get*', 's3:GetObject', true],
    ['s3:Get*', 's3:PutObject', false],
    ['s3:?etObject', 's3:GetObject', true],
    ['*', 'anything at all', true],
    ['arn:aws:s3:::b', 'arn:aws:s3:::b/key', false],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
  ])('%s matches %s: %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });

  it('compares action names without regard to case, ARNs with it', () => {
    expect(globMatches('S3:getobject', 's3:GetObject', { caseInsensitive: true })).toBe(true);
    expect(globMatches('arn:aws:s3:::Bucket', 'arn:aws:s3:::bucket')).toBe(false);
  });

  it.each([
    ['s3:*', 's3:', true],
    ['*', 's3:', true],
    ['s*', 's3:', true],
    ['*:*', 's3:', true],
    ['s3:Get*', 's3:', false],
    ['s3:*Object', 's3:', false],
    ['arn:aws:s3:::b*', 'arn:aws:s3:::b/', true],
    ['arn:aws:s3:::b/*', 'arn:aws:s3:::b/', true],
    ['arn:aws:s3:::b/public/*', 'arn:aws:s3:::b/', false],
  ])('%s matches every string starting with %s: %s', (pattern, prefix, expected) => {
    expect(globMatchesEveryExtension(pattern, prefix)).toBe(expected);
  });

  it.each([
    ['s3:Get*', 's3:', true],
    ['iam:*', 's3:', false],
    ['*', 's3:', true],
    ['arn:aws:s3:::other/*', 'arn:aws:s3:::b/', false],
    ['arn:aws:s3:::b/public/*', 'arn:aws:s3:::b/', true],
  ])('%s matches some string starting with %s: %s', (pattern, prefix, expected) => {
    expect(globMatchesSomeExtension(pattern, prefix)).toBe(expected);
  });
});

describe('parsePolicyDocument', () => {
  it('reads Statement as one object, Action as a string, Principal "*" and boolean condition values', () => {
    const parsed = parsePolicyDocument(
      JSON.stringify({
        Statement: { Sid: 'one', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: 'arn:aws:s3:::b', Condition: { Bool: { 'AWS:SecureTransport': false } } },
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      statements: [
        {
          sid: 'one',
          effect: 'Deny',
          principal: { negated: false, anyone: true, ids: ['*'] },
          actions: { negated: false, patterns: ['s3:*'] },
          resources: { negated: false, patterns: ['arn:aws:s3:::b'] },
          conditions: [{ operator: 'Bool', key: 'aws:securetransport', values: ['false'] }],
        },
      ],
    });
  });

  it('reads lists, {"AWS": [...]} principals, NotAction, NotResource and NotPrincipal', () => {
    const parsed = parsePolicyDocument({
      Statement: [
        {
          Effect: 'Allow',
          NotPrincipal: { AWS: ['arn:aws:iam::123456789012:role/A'], Service: 's3.amazonaws.com' },
          NotAction: ['iam:*'],
          NotResource: ['arn:aws:s3:::x'],
          Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 }, Bool: { 'aws:SecureTransport': ['false', true] } },
        },
      ],
    });
    expect(parsed).toEqual({
      ok: true,
      statements: [
        {
          sid: undefined,
          effect: 'Allow',
          principal: { negated: true, anyone: false, ids: ['AWS:arn:aws:iam::123456789012:role/A', 'Service:s3.amazonaws.com'] },
          actions: { negated: true, patterns: ['iam:*'] },
          resources: { negated: true, patterns: ['arn:aws:s3:::x'] },
          conditions: [
            { operator: 'NumericLessThan', key: 's3:tlsversion', values: ['1.2'] },
            { operator: 'Bool', key: 'aws:securetransport', values: ['false', 'true'] },
          ],
        },
      ],
    });
  });

  it.each([
    ['not json', 'the policy is not valid JSON'],
    ['[1]', 'the policy is not a JSON object'],
    ['{"Version":"2012-10-17"}', 'the policy has no Statement'],
  ])('refuses %s', (text, reason) => {
    expect(parsePolicyDocument(text)).toEqual({ ok: false, reason });
  });

  it('answers what a statement applies to', () => {
    const actions = { negated: false, patterns: ['s3:Put*', 'kms:Decrypt'] };
    expect(appliesToAction(actions, 's3:PutObject')).toBe(true);
    expect(appliesToAction(actions, 'KMS:decrypt')).toBe(true);
    expect(appliesToAction({ negated: true, patterns: ['s3:Put*'] }, 's3:PutObject')).toBe(false);
    expect(appliesToAction(undefined, 's3:PutObject')).toBe(false);
    expect(appliesToEveryActionOf({ negated: true, patterns: ['iam:*', 'kms:*'] }, 's3:')).toBe(true);
    expect(appliesToEveryActionOf({ negated: true, patterns: ['s3:Get*'] }, 's3:')).toBe(false);
    expect(appliesToResource({ negated: true, patterns: ['arn:aws:s3:::other'] }, 'arn:aws:s3:::b')).toBe(true);
    expect(appliesToEveryResourceUnder({ negated: true, patterns: ['arn:aws:s3:::b/public/*'] }, 'arn:aws:s3:::b/')).toBe(false);
    expect(appliesToEveryone({ negated: false, anyone: true, ids: ['AWS:*'] })).toBe(true);
    expect(appliesToEveryone({ negated: true, anyone: true, ids: ['AWS:*'] })).toBe(false);
  });
});

describe('appliesToEveryObjectOf: object keys are never empty', () => {
  const BUCKET = 'arn:aws:s3:::b';
  it.each([
    [['arn:aws:s3:::b/*'], true],
    [['arn:aws:s3:::b/?*'], true],
    [['arn:aws:s3:::b*'], true],
    [['arn:aws:s3:::b/??*'], false],
    [['arn:aws:s3:::b/?'], false],
    [['arn:aws:s3:::b/a*'], false],
    [['arn:aws:s3:::b/\u0000*'], false],
    [['arn:aws:s3:::b'], false],
  ])('Resource %j: %s', (patterns, expected) => {
    expect(appliesToEveryObjectOf({ negated: false, patterns }, BUCKET)).toBe(expected);
  });

  it('NotResource is read as before', () => {
    expect(appliesToEveryObjectOf({ negated: true, patterns: ['arn:aws:s3:::other/*'] }, BUCKET)).toBe(true);
    expect(appliesToEveryObjectOf({ negated: true, patterns: ['arn:aws:s3:::b/public/*'] }, BUCKET)).toBe(false);
    expect(appliesToEveryObjectOf(undefined, BUCKET)).toBe(false);
  });
});

describe('holdsForEveryRequest: aws:SecureTransport is in every request context', () => {
  const entry = (operator: string, key: string, ...values: string[]) => ({ operator, key, values });
  it.each([
    [entry('Null', 'aws:securetransport', 'false'), true],
    [entry('Null', 'aws:securetransport', 'true'), false],
    [entry('Bool', 'aws:securetransport', 'false', 'TRUE'), true],
    [entry('BoolIfExists', 'aws:securetransport', 'true', 'false'), true],
    [entry('Bool', 'aws:securetransport', 'false'), false],
    [entry('StringEquals', 'aws:securetransport', 'false', 'true'), false],
    [entry('Null', 's3:x-amz-server-side-encryption', 'false'), false],
  ])('%j: %s', (condition, expected) => {
    expect(holdsForEveryRequest(condition)).toBe(expected);
  });
});
