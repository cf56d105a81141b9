import { describe, expect, it } from 'vitest';
import { AwsCallError } from '../../../shared/errors.js';
import { failureOf, needsAlert, needsRetry, type ObjectOutcome } from '../../../shared/core/object-outcome.js';

const failed = (transient: boolean): ObjectOutcome => ({ kind: 'failed', error: { code: 'SlowDown', message: 'slow down', transient } });
const skipped = (alert: boolean): ObjectOutcome => ({ kind: 'skipped', reason: alert ? 'customer-provided-key' : 'gone', detail: 'd', alert });
const compliant: ObjectOutcome = { kind: 'compliant', encryption: { kind: 'sse-s3' } };

describe('needsRetry and needsAlert', () => {
  it('retries failures, transient or not, and nothing else', () => {
    expect([failed(true), failed(false), skipped(true), skipped(false), compliant].map(needsRetry)).toEqual([true, true, false, false, false]);
  });

  it('alerts on alerting skips and on failures a retry will not fix', () => {
    expect([failed(true), failed(false), skipped(true), skipped(false), compliant].map(needsAlert)).toEqual([false, true, true, false, false]);
  });
});

describe('failureOf', () => {
  it('keeps an AWS error’s code, message and whether a retry can help', () => {
    expect(failureOf(new AwsCallError('CopyObject', 'AccessDenied', 403, false, 'Access Denied'))).toEqual({
      code: 'AccessDenied',
      message: 'CopyObject failed: AccessDenied (HTTP 403): Access Denied',
      transient: false,
    });
    expect(failureOf(new AwsCallError('HeadObject', 'SlowDown', 503, true, 'slow down'))).toMatchObject({ code: 'SlowDown', transient: true });
  });

  it('treats anything else thrown as unexpected and worth a retry', () => {
    expect(failureOf(new TypeError('x is undefined'))).toEqual({ code: 'UnexpectedError', message: 'x is undefined', transient: true });
    expect(failureOf('socket hang up')).toEqual({ code: 'UnexpectedError', message: 'socket hang up', transient: true });
  });
});
