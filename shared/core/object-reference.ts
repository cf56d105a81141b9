import type { KeySpellings } from './decode-s3-key.js';

/** One object that an "object created" notice points at, with keys already URL-decoded. */
export interface ObjectReference {
  readonly bucket: string;
  readonly key: string;
  /**
   * Every key the notice may name, `key` among them, where the intake path leaves the key's
   * encoding unsettled and decoding changed it (see keySpellingsOf); absent when the key is certain.
   * Each spelling that exists is enforced.
   */
  readonly keySpellings?: KeySpellings;
  readonly versionId?: string;
  readonly eTag?: string;
  readonly size?: number;
  readonly sequencer?: string;
  /** In S3 notification form, e.g. `ObjectCreated:Put`, whichever way the notice arrived. */
  readonly eventName: string;
}

export const describeObject = (ref: Pick<ObjectReference, 'bucket' | 'key' | 'versionId'>): string =>
  `s3://${ref.bucket}/${ref.key}${ref.versionId ? ` (version ${ref.versionId})` : ''}`;

/**
 * Orders two sequencers of the same key: S3 sequencers are hexadecimal strings of varying length,
 * compared after left-padding to equal length.
 */
export const compareSequencers = (a: string, b: string): number => {
  const width = Math.max(a.length, b.length);
  const left = a.padStart(width, '0').toUpperCase();
  const right = b.padStart(width, '0').toUpperCase();
  return left < right ? -1 : left > right ? 1 : 0;
};
