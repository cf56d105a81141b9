import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of moto, for an STS client to use as its endpoint. moto assumes
 * any role in any account and hands out sessions of an hour, so the two things the organization
 * audit must survive never happen there: a member whose role refuses the audit, and credentials that
 * expire during a run. This proxy makes both happen — it answers AssumeRole for chosen accounts with
 * STS's own error, and it can shorten the sessions moto issues — and writes down every STS request.
 *
 * The SDK speaks STS's AWS Query protocol: a form-encoded POST (`Action=AssumeRole&RoleArn=…`)
 * answered with XML.
 */

export interface RecordedStsRequest {
  /** `Action`, as sent. */
  readonly action: string;
  readonly params: URLSearchParams;
  /** For AssumeRole, the account in the RoleArn. */
  readonly accountId: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The HTTP status it was answered with; undefined while it is still in flight. */
  readonly status: number | undefined;
}

/** An STS error answer, sent instead of forwarding the request. */
export interface StsFault {
  readonly status: number;
  readonly type: 'Sender' | 'Receiver';
  readonly code: string;
  readonly message: string;
}

export interface StsFaultProxy {
  readonly endpoint: string;
  /** Every request since the last `clear()`, in the order they arrived. */
  readonly requests: readonly RecordedStsRequest[];
  /** AssumeRole requests, of one account if it is given. */
  assumeRoleRequests(accountId?: string): RecordedStsRequest[];
  /**
   * From now on, AssumeRole of any role in `accountId` gets `fault` (by default STS's AccessDenied
   * for that role) and never reaches moto.
   */
  refuseAssumeRole(accountId: string, fault?: (roleArn: string) => StsFault): void;
  /** From now on, each AssumeRole answer says its credentials expire `seconds` after it was sent; undefined leaves moto's. */
  expireSessionsAfter(seconds: number | undefined): void;
  /** Forgets the recorded requests, the refusals and the expiry rewrite. */
  clear(): void;
  stop(): Promise<void>;
}

/** The caller STS's AccessDenied names: the audit function's role, as it would be in the management account. */
export const AUDIT_CALLER_ARN = 'arn:aws:sts::123456789012:assumed-role/encryption-audit-function/audit';

export const accessDenied = (roleArn: string): StsFault => ({
  status: 403,
  type: 'Sender',
  code: 'AccessDenied',
  message: `User: ${AUDIT_CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
});

const ROLE_ACCOUNT = /^arn:[a-z-]+:iam::(\d{12}):role\//;

const xmlText = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

const errorBody = (fault: StsFault, requestId: string): string =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n` +
  `  <Error>\n    <Type>${fault.type}</Type>\n    <Code>${xmlText(fault.code)}</Code>\n    <Message>${xmlText(fault.message)}</Message>\n  </Error>\n` +
  `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;

const readBody = (incoming: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks)));
    incoming.once('error', reject);
  });

export const startStsFaultProxy = async (upstream: string): Promise<StsFaultProxy> => {
  const target = new URL(upstream);
  const requests: RecordedStsRequest[] = [];
  const refusals = new Map<string, (roleArn: string) => StsFault>();
  let sessionSeconds: number | undefined;

  const answerWith = (answer: ServerResponse, status: number, headers: Record<string, string | number>, body: string | Buffer): void => {
    answer.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
    answer.end(body);
  };

  const forward = (incoming: IncomingMessage, body: Buffer, answer: ServerResponse, rewriteExpiration: boolean): void => {
    const forwarded = httpRequest(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        if (!rewriteExpiration || response.statusCode !== 200) {
          answer.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(answer);
          return;
        }
        void readBody(response).then((upstreamBody) => {
          if (response.headers['content-encoding']) {
            answerWith(answer, 502, { 'content-type': 'text/plain' }, `sts-fault-proxy cannot rewrite a ${response.headers['content-encoding']} body`);
            return;
          }
          const expiration = new Date(Date.now() + (sessionSeconds ?? 0) * 1000).toISOString();
          const text = upstreamBody.toString('utf8');
          if (!/<Expiration>[^<]*<\/Expiration>/.test(text)) {
            answerWith(answer, 502, { 'content-type': 'text/plain' }, `sts-fault-proxy found no <Expiration> in moto's AssumeRole answer:\n${text}`);
            return;
          }
          const headers = { ...response.headers } as Record<string, string>;
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          answerWith(answer, 200, headers, text.replace(/<Expiration>[^<]*<\/Expiration>/, `<Expiration>${expiration}</Expiration>`));
        }, (error: unknown) => {
          answer.destroy(error instanceof Error ? error : new Error(String(error)));
        });
      },
    );
    forwarded.once('error', (error) => {
      if (!answer.headersSent) answer.writeHead(502, { 'content-type': 'text/plain' });
      answer.end(`sts-fault-proxy could not reach ${upstream}: ${error.message}`);
    });
    forwarded.end(body);
  };

  const handle = async (incoming: IncomingMessage, answer: ServerResponse): Promise<void> => {
    const body = await readBody(incoming);
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    // Query requests are POSTed as a form; a GET carries the same parameters in the URL.
    const params = incoming.method === 'POST' ? new URLSearchParams(body.toString('utf8')) : url.searchParams;
    const action = params.get('Action') ?? '';
    const roleArn = params.get('RoleArn') ?? '';
    const recorded: { -readonly [field in keyof RecordedStsRequest]: RecordedStsRequest[field] } = {
      action,
      params,
      accountId: action === 'AssumeRole' ? ROLE_ACCOUNT.exec(roleArn)?.[1] : undefined,
      headers: incoming.headers,
      status: undefined,
    };
    requests.push(recorded);
    answer.once('finish', () => {
      recorded.status = answer.statusCode;
    });

    const refusal = recorded.accountId === undefined ? undefined : refusals.get(recorded.accountId);
    if (refusal) {
      const requestId = randomUUID();
      const fault = refusal(roleArn);
      answerWith(answer, fault.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, errorBody(fault, requestId));
      return;
    }
    forward(incoming, body, answer, action === 'AssumeRole' && sessionSeconds !== undefined);
  };

  const server = createServer((incoming, answer) => {
    handle(incoming, answer).catch((error: unknown) => {
      if (!answer.headersSent) answer.writeHead(500, { 'content-type': 'text/plain' });
      answer.end(`sts-fault-proxy failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    assumeRoleRequests: (accountId) =>
      requests.filter((request) => request.action === 'AssumeRole' && (accountId === undefined || request.accountId === accountId)),
    refuseAssumeRole(accountId, fault = accessDenied) {
      refusals.set(accountId, fault);
    },
    expireSessionsAfter(seconds) {
      sessionSeconds = seconds;
    },
    clear() {
      requests.length = 0;
      refusals.clear();
      sessionSeconds = undefined;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
