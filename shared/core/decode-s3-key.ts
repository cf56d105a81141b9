/**
 * S3 notifications carry keys form-URL-encoded: a space is `+`, a `+` is `%2B`, other bytes are
 * percent-encoded UTF-8 (and some endpoints encode `/` as `%2F`).
 */
export type DecodedKey = { ok: true; key: string } | { ok: false; reason: string };

export const decodeS3Key = (encoded: string): DecodedKey => {
  try {
    return { ok: true, key: decodeURIComponent(encoded.replace(/\+/g, ' ')) };
  } catch {
    return { ok: false, reason: `object key is not valid URL encoding: ${JSON.stringify(encoded.slice(0, 200))}` };
  }
};

/** The inverse, as S3 writes keys into notifications; used by tests and local tooling. */
export const encodeS3Key = (key: string): string =>
  encodeURIComponent(key)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Every key a text may name, the URL-decoded reading first; never empty. */
export type KeySpellings = readonly [string, ...string[]];

/**
 * The keys a key text may name where the intake path does not settle whether it is URL-encoded
 * (EventBridge events, S3 Batch Operations tasks): the decoded reading and the text as sent, when
 * decoding changes it (it holds `+` or `%`). Text that is not valid URL encoding can only be the
 * key as stored, and text that decoding leaves unchanged names one key: neither costs a second look.
 */
export const keySpellingsOf = (text: string): KeySpellings => {
  const decoded = decodeS3Key(text);
  if (!decoded.ok) return [text];
  // A text longer than S3 allows a key to be can only be an encoded one (S3 would answer a
  // HeadObject for it with a bare 400, which reads like an SSE-C object).
  if (decoded.key === text || decoded.key.length === 0 || utf8Length(text) > MAX_KEY_BYTES) return [decoded.key || text];
  return [decoded.key, text];
};

/** S3's longest key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;
