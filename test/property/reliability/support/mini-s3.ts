import {
  CopyObjectCommand,
  GetBucketOwnershipControlsCommand,
  HeadObjectCommand,
  type CopyObjectCommandInput,
  type HeadObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { encodeS3Key } from '../../../../shared/core/decode-s3-key.js';
import { s3Error } from '../../../fixtures/aws-errors.js';
import { s3Notification, s3Record } from '../../../fixtures/events.js';

/**
 * One S3 key that keeps its versions and honours the guards S3 honours and moto ignores:
 * `CopySourceIfMatch` (the source is the version inspected) and `IfMatch` (the key still holds it).
 * Every write emits the notification S3 would send, so the enforcer's own copies come back as
 * events. A race can be armed to happen right after the next HeadObject answers.
 */
export interface StoredVersion {
  readonly versionId: string;
  readonly eTag: string;
  /** Which upload's bytes these are: copies keep it, user uploads get a new one. */
  readonly content: number;
  readonly kmsKeyId: string | undefined;
  readonly writtenBy: 'user' | 'enforcer';
}

export interface PendingEvent {
  readonly id: number;
  readonly eventName: string;
  readonly versionId: string | undefined;
  readonly eTag: string;
  readonly sequencer: string;
}

export interface EnforcerWrite {
  readonly sourceContent: number;
  readonly contentBefore: number | undefined;
}

export type Race = 'overwrite' | 'delete';

export const MINI_BUCKET = 'race-bucket';

export class MiniS3 {
  readonly versions: StoredVersion[] = [];
  /** The current version, or undefined when the key is deleted (or its latest version is a delete marker). */
  current: StoredVersion | undefined;
  readonly events: PendingEvent[] = [];
  readonly writes: EnforcerWrite[] = [];
  readonly violations: string[] = [];
  readonly counts = { heads: 0, copies: 0, preconditionFailures: 0, notFound: 0, racesHappened: 0, userUploads: 0, userDeletes: 0 };
  private armed: Race | undefined;
  private clock = 0;
  private contents = 0;

  constructor(
    readonly key: string,
    readonly versioned: boolean,
    /** Pads sequencers to a fixed width (S3's vary in length: the enforcer must pad them to compare). */
    private readonly padSequencers: boolean,
  ) {}

  private tick(): number {
    this.clock += 1;
    return this.clock;
  }

  private sequencer(): string {
    const hex = (0x5ae000 + this.tick() * 17).toString(16).toUpperCase();
    return this.padSequencers ? hex.padStart(18, '0') : hex;
  }

  private store(content: number, kmsKeyId: string | undefined, writtenBy: StoredVersion['writtenBy'], eventName: string): StoredVersion {
    const n = this.tick();
    const version: StoredVersion = { versionId: this.versioned ? `v${n}` : 'null', eTag: `"etag-${n}"`, content, kmsKeyId, writtenBy };
    if (!this.versioned) this.versions.length = 0;
    this.versions.push(version);
    this.current = version;
    this.events.push({ id: n, eventName, versionId: this.versioned ? version.versionId : undefined, eTag: version.eTag.replace(/"/g, ''), sequencer: this.sequencer() });
    return version;
  }

  upload(): StoredVersion {
    this.counts.userUploads += 1;
    this.contents += 1;
    return this.store(this.contents, undefined, 'user', 'ObjectCreated:Put');
  }

  delete(): void {
    this.counts.userDeletes += 1;
    if (!this.versioned) this.versions.length = 0;
    this.current = undefined;
  }

  /** Makes `race` happen just after the next HeadObject has answered. */
  arm(race: Race): void {
    this.armed = race;
  }

  /** Takes back a race that has not struck yet. */
  disarm(): void {
    this.armed = undefined;
  }

  /** The notification of one pending event, as S3 writes it into an SQS body. */
  notificationOf(event: PendingEvent): unknown {
    return s3Notification(
      s3Record({ bucket: MINI_BUCKET, key: encodeS3Key(this.key), eventName: event.eventName, eTag: event.eTag, sequencer: event.sequencer, ...(event.versionId ? { versionId: event.versionId } : {}) }),
    );
  }

  head(input: HeadObjectCommandInput): Record<string, unknown> {
    this.counts.heads += 1;
    if (input.Key !== this.key) throw s3Error('NotFound', 404);
    const current = this.current;
    const race = this.armed;
    this.armed = undefined;
    if (race) {
      this.counts.racesHappened += 1;
      // The answer below was "sent" before the race: it describes the version as it was.
      if (race === 'overwrite') this.upload();
      else this.delete();
    }
    if (!current) {
      this.counts.notFound += 1;
      throw s3Error('NotFound', 404);
    }
    return {
      ETag: current.eTag,
      ContentLength: 100 + current.content,
      ...(this.versioned ? { VersionId: current.versionId } : {}),
      ...(current.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: current.kmsKeyId, BucketKeyEnabled: true } : {}),
    };
  }

  copy(input: CopyObjectCommandInput): Record<string, unknown> {
    this.counts.copies += 1;
    const [path = '', query = ''] = String(input.CopySource).split('?');
    if (decodeURIComponent(path) !== `${MINI_BUCKET}/${this.key}` || input.Key !== this.key) {
      this.violations.push(`copied from or to another object: ${String(input.CopySource)} -> ${String(input.Key)}`);
    }
    const versionId = new URLSearchParams(query).get('versionId') ?? undefined;
    const source = versionId ? this.versions.find((version) => version.versionId === versionId) : this.current;
    if (!source) {
      this.counts.notFound += 1;
      throw s3Error(versionId ? 'NoSuchVersion' : 'NoSuchKey', 404);
    }
    if (input.CopySourceIfMatch !== undefined && input.CopySourceIfMatch !== source.eTag) {
      this.counts.preconditionFailures += 1;
      throw s3Error('PreconditionFailed', 412);
    }
    if (input.IfMatch !== undefined) {
      // A conditional write on a key that holds nothing: S3 answers 404 NoSuchKey.
      if (!this.current) {
        this.counts.notFound += 1;
        throw s3Error('NoSuchKey', 404);
      }
      if (input.IfMatch !== this.current.eTag) {
        this.counts.preconditionFailures += 1;
        throw s3Error('PreconditionFailed', 412);
      }
    }
    const contentBefore = this.current?.content;
    if (contentBefore !== source.content) {
      this.violations.push(`older content (upload ${source.content}) written over newer content (upload ${String(contentBefore)})`);
    }
    this.writes.push({ sourceContent: source.content, contentBefore });
    const written = this.store(source.content, input.SSEKMSKeyId, 'enforcer', 'ObjectCreated:Copy');
    return {
      ...(this.versioned ? { VersionId: written.versionId } : {}),
      ServerSideEncryption: input.ServerSideEncryption,
      SSEKMSKeyId: input.SSEKMSKeyId,
      BucketKeyEnabled: input.BucketKeyEnabled,
    };
  }

  /** Routes the S3 mock's HeadObject and CopyObject here; ACLs are off (BucketOwnerEnforced). */
  install(s3: AwsClientStub<S3Client>): void {
    s3.on(HeadObjectCommand).callsFake(async (input: HeadObjectCommandInput) => this.head(input));
    s3.on(CopyObjectCommand).callsFake(async (input: CopyObjectCommandInput) => this.copy(input));
    s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
  }
}
