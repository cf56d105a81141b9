import { describe, expect, it } from 'vitest';
import { decodeS3Key, encodeS3Key, keySpellingsOf } from '../../../shared/core/decode-s3-key.js';

describe('decodeS3Key', () => {
  it('decodes form-URL encoding: + is a space, %2B a plus, percent-encoded UTF-8, an encoded slash', () => {
    expect(decodeS3Key('a+b%2Bc%C3%A9%2Fd+e')).toEqual({ ok: true, key: 'a b+cé/d e' });
  });

  it('says why text is not URL encoding, quoting at most 200 characters of it', () => {
    expect(decodeS3Key('100%')).toEqual({ ok: false, reason: 'object key is not valid URL encoding: "100%"' });
    const long = `%${'x'.repeat(300)}`;
    expect(decodeS3Key(long)).toEqual({ ok: false, reason: `object key is not valid URL encoding: ${JSON.stringify(long.slice(0, 200))}` });
  });
});

describe('encodeS3Key', () => {
  it('writes keys as S3 notifications do', () => {
    expect(encodeS3Key("a b+c/d!'()*é")).toBe('a+b%2Bc/d%21%27%28%29%2A%C3%A9');
  });
});

describe('keySpellingsOf', () => {
  it('gives the decoded reading first, then the text as sent, when decoding changes it', () => {
    expect(keySpellingsOf('a+b')).toEqual(['a b', 'a+b']);
    expect(keySpellingsOf('50%25')).toEqual(['50%', '50%25']);
  });

  it('gives one key when decoding leaves the text as it is, or cannot read it', () => {
    expect(keySpellingsOf('plain/key.txt')).toEqual(['plain/key.txt']);
    expect(keySpellingsOf('100%')).toEqual(['100%']);
  });

  it('keeps the text when it decodes to nothing', () => {
    expect(keySpellingsOf('')).toEqual(['']);
  });

  it('reads text longer than any S3 key only as encoded, counting UTF-8 bytes', () => {
    // 1,024 bytes is S3's limit: at the limit both readings stand; one byte over, only the decoded one.
    const atLimit = `${'a'.repeat(1021)}+é`;
    expect(new TextEncoder().encode(atLimit)).toHaveLength(1024);
    expect(keySpellingsOf(atLimit)).toEqual([`${'a'.repeat(1021)} é`, atLimit]);
    const over = `${'a'.repeat(1022)}+é`;
    expect(keySpellingsOf(over)).toEqual([`${'a'.repeat(1022)} é`]);
  });
});
