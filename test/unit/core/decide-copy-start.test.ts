import { describe, expect, it } from 'vitest';
import { ASSUMED_COPY_BYTES_PER_SECOND, COPY_TIME_MARGIN_MS, decideCopyStart, LAMBDA_MAX_MS } from '../../../shared/core/decide-copy-start.js';

const GIB = 1024 ** 3;
/** The size whose copy is estimated to take exactly `ms`, margin included. */
const bytesTaking = (ms: number) => ((ms - COPY_TIME_MARGIN_MS) / 1000) * ASSUMED_COPY_BYTES_PER_SECOND;

describe('decideCopyStart', () => {
  it('a single CopyObject always starts, whatever the size and the time left', () => {
    expect(decideCopyStart({ method: 'copy-in-place', sizeBytes: 5 * GIB, remainingTimeMs: 0 })).toEqual({ kind: 'start' });
  });

  it('a multipart copy starts when this invocation has the time: 20 GiB needs about 235 s', () => {
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes: 20 * GIB, remainingTimeMs: 890_000 })).toEqual({ kind: 'start' });
  });

  it('a multipart copy this invocation cannot finish is not started: a transient failure, for a fresh invocation', () => {
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes: 20 * GIB, remainingTimeMs: 60_000 })).toEqual({
      kind: 'defer',
      error: {
        code: 'InsufficientTime',
        message: `copying ${20 * GIB} bytes needs about 235 s and 60 s are left; not started`,
        transient: true,
      },
    });
  });

  it('the time left is compared with the estimate, margin included: exactly enough starts', () => {
    const sizeBytes = bytesTaking(330_000);
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes, remainingTimeMs: 330_000 })).toEqual({ kind: 'start' });
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes, remainingTimeMs: 329_999 })).toEqual({
      kind: 'defer',
      error: { code: 'InsufficientTime', message: `copying ${sizeBytes} bytes needs about 330 s and 329 s are left; not started`, transient: true },
    });
  });

  it('a multipart copy no invocation could finish is reported with the reason the size limit has, however much time is left', () => {
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes: 900 * GIB, remainingTimeMs: Number.POSITIVE_INFINITY })).toEqual({
      kind: 'alert',
      reason: 'exceeds-copy-limit',
      detail: `copying ${900 * GIB} bytes needs about 9246 s, more than a Lambda invocation has; re-encrypt it with an S3 Batch Operations copy job`,
    });
  });

  it('the invocation limit is Lambda’s 15 minutes: a copy that fits it exactly is only a question of time left', () => {
    const fits = bytesTaking(LAMBDA_MAX_MS);
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes: fits, remainingTimeMs: LAMBDA_MAX_MS })).toEqual({ kind: 'start' });
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes: fits, remainingTimeMs: 600_000 })).toMatchObject({ kind: 'defer' });
    expect(decideCopyStart({ method: 'multipart-copy', sizeBytes: fits + 1, remainingTimeMs: LAMBDA_MAX_MS })).toEqual({
      kind: 'alert',
      reason: 'exceeds-copy-limit',
      detail: `copying ${fits + 1} bytes needs about 901 s, more than a Lambda invocation has; re-encrypt it with an S3 Batch Operations copy job`,
    });
  });
});
