import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of moto, for an SNS client to use as its endpoint
 * (AWS_ENDPOINT_URL_SNS), that writes down every Publish. A queue subscribed to a topic receives
 * only the message's `sqs` part of a MessageStructure=json publish; what people read — the
 * `default` and `email` parts — reaches no queue, so it is read here, as it was sent.
 *
 * The SDK speaks SNS's AWS Query protocol: a form-encoded POST (`Action=Publish&TopicArn=…`).
 */

export interface RecordedPublish {
  readonly topicArn: string;
  readonly subject: string | undefined;
  readonly messageStructure: string | undefined;
  /** `Message` as sent: with MessageStructure=json, one text per protocol. */
  readonly message: string;
}

export interface SnsPublishRecorder {
  readonly endpoint: string;
  /** Every Publish since the last `clear()`, in the order they arrived. */
  readonly published: readonly RecordedPublish[];
  clear(): void;
  stop(): Promise<void>;
}

/** The part of a publish a subscriber of `protocol` gets, as SNS picks it: its own, else `default`. */
export const messageFor = (publish: RecordedPublish, protocol: string): string => {
  if (publish.messageStructure !== 'json') return publish.message;
  const parts = JSON.parse(publish.message) as Record<string, string | undefined>;
  const part = parts[protocol] ?? parts['default'];
  if (part === undefined) throw new Error(`the message has no ${protocol} part and no default: ${publish.message.slice(0, 200)}`);
  return part;
};

const readBody = (incoming: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks)));
    incoming.once('error', reject);
  });

export const startSnsPublishRecorder = async (upstream: string): Promise<SnsPublishRecorder> => {
  const target = new URL(upstream);
  const published: RecordedPublish[] = [];

  const server = createServer((incoming, answer) => {
    void readBody(incoming).then(
      (body) => {
        const params = new URLSearchParams(body.toString('utf8'));
        if (params.get('Action') === 'Publish') {
          published.push({
            topicArn: params.get('TopicArn') ?? '',
            subject: params.get('Subject') ?? undefined,
            messageStructure: params.get('MessageStructure') ?? undefined,
            message: params.get('Message') ?? '',
          });
        }
        const forwarded = httpRequest(
          { protocol: target.protocol, hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (response) => {
            answer.writeHead(response.statusCode ?? 502, response.headers);
            response.pipe(answer);
          },
        );
        forwarded.once('error', (error) => {
          if (!answer.headersSent) answer.writeHead(502, { 'content-type': 'text/plain' });
          answer.end(`sns-publish-recorder could not reach ${upstream}: ${error.message}`);
        });
        forwarded.end(body);
      },
      (error: unknown) => {
        if (!answer.headersSent) answer.writeHead(500, { 'content-type': 'text/plain' });
        answer.end(`sns-publish-recorder failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    published,
    clear() {
      published.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
