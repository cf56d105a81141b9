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
