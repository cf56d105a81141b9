import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of moto's S3, for the bundle to use as its S3 endpoint
 * (AWS_ENDPOINT_URL_S3). It writes down every request the enforcer sends, so a test can check what
 * went over the wire where moto keeps nothing to look at afterwards (headers moto drops, requests
 * that must never be sent), and it can answer a chosen request with an S3 error instead of moto, to
 * make a failure happen at an exact step (a part of a multipart copy, say).
 */

/** The S3 operations the enforcer sends, told apart the way S3 does: method, sub-resource, headers. */
export type S3Operation =
  | 'HeadObject'
  | 'GetObject'
  | 'CopyObject'
  | 'PutObject'
  | 'PutObjectAcl'
  | 'GetObjectAcl'
  | 'GetObjectTagging'
  | 'PutObjectTagging'
  | 'GetObjectRetention'
  | 'GetObjectLegalHold'
  | 'GetBucketOwnershipControls'
  | 'CreateMultipartUpload'
  | 'UploadPartCopy'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'DeleteObject'
  | 'UpdateObjectEncryption'
  | 'Other';

export interface RecordedRequest {
  readonly operation: S3Operation;
  readonly method: string;
  /** Path-style: the bucket, then the key, both decoded. */
  readonly bucket: string;
  readonly key: string;
  readonly query: URLSearchParams;
  /** Lower-case header names, as Node gives them. */
  readonly headers: IncomingHttpHeaders;
  /** Where this request's arrival falls in the proxy's sequence of arrivals and answers. */
  readonly arrivedAt: number;
  /** Where its answer falls in the same sequence; undefined while it is still in flight. */
  readonly answeredAt: number | undefined;
  /** The HTTP status it was answered with; undefined while it is still in flight. */
  readonly status: number | undefined;
}

/** An S3 error answer, sent instead of forwarding the request. */
export interface InjectedFault {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** The request is forwarded, but only after this long: a slow part, to order events around it. */
export interface InjectedDelay {
  readonly delayMs: number;
}

export interface S3Proxy {
  readonly endpoint: string;
  /** Every request since the last `clear()`, in the order they arrived. */
  readonly requests: readonly RecordedRequest[];
  /** Requests of one operation. */
  requestsOf(operation: S3Operation): RecordedRequest[];
  /**
   * From now on, a request for which `rule` returns a fault gets that fault and never reaches moto;
   * one for which it returns a delay reaches moto that much later.
   */
  inject(rule: (request: RecordedRequest) => InjectedFault | InjectedDelay | undefined): void;
  /** Forgets the recorded requests and any fault rule. */
  clear(): void;
  stop(): Promise<void>;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export const s3OperationOf = (method: string, query: URLSearchParams, headers: IncomingHttpHeaders, key: string): S3Operation => {
  const copySource = header(headers, 'x-amz-copy-source') !== undefined;
  switch (method) {
    case 'HEAD':
      return key ? 'HeadObject' : 'Other';
    case 'GET':
      if (!key) {
        if (query.has('ownershipControls')) return 'GetBucketOwnershipControls';
        if (query.has('uploads')) return 'ListMultipartUploads';
        return 'Other';
      }
      if (query.has('acl')) return 'GetObjectAcl';
      if (query.has('tagging')) return 'GetObjectTagging';
      if (query.has('retention')) return 'GetObjectRetention';
      if (query.has('legal-hold')) return 'GetObjectLegalHold';
      return 'GetObject';
    case 'PUT':
      if (!key) return 'Other';
      if (query.has('encryption')) return 'UpdateObjectEncryption';
      if (query.has('partNumber') && query.has('uploadId')) return copySource ? 'UploadPartCopy' : 'UploadPart';
      if (query.has('acl')) return 'PutObjectAcl';
      if (query.has('tagging')) return 'PutObjectTagging';
      return copySource ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Other';
    case 'DELETE':
      if (query.has('uploadId')) return 'AbortMultipartUpload';
      return key ? 'DeleteObject' : 'Other';
    default:
      return 'Other';
  }
};

const errorBody = (fault: InjectedFault): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>${fault.message}</Message><RequestId>INJECTED</RequestId><HostId>s3-proxy</HostId></Error>`;

export const startS3Proxy = async (upstream: string): Promise<S3Proxy> => {
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  let rule: ((request: RecordedRequest) => InjectedFault | InjectedDelay | undefined) | undefined;
  let sequence = 0;

  const handle = (incoming: IncomingMessage, answer: ServerResponse): void => {
    const url = new URL(incoming.url ?? '/', 'http://proxy');
    const [bucket = '', ...keyParts] = url.pathname.replace(/^\//, '').split('/');
    const key = keyParts.join('/');
    const method = incoming.method ?? 'GET';
    const recorded: { -readonly [field in keyof RecordedRequest]: RecordedRequest[field] } = {
      operation: s3OperationOf(method, url.searchParams, incoming.headers, key),
      method,
      bucket: decodeURIComponent(bucket),
      key: decodeURIComponent(key),
      query: url.searchParams,
      headers: incoming.headers,
      arrivedAt: ++sequence,
      answeredAt: undefined,
      status: undefined,
    };
    requests.push(recorded);
    answer.once('finish', () => {
      recorded.answeredAt = ++sequence;
      recorded.status = answer.statusCode;
    });

    const injected = rule?.(recorded);
    if (injected && 'status' in injected) {
      const fault = injected;
      // Read the request to its end first, so the client sees an answer, not a reset connection.
      incoming.resume();
      incoming.once('end', () => {
        const body = errorBody(fault);
        answer.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': 'INJECTED' });
        answer.end(body);
      });
      return;
    }

    const forward = (): void => {
      const forwarded = httpRequest(
        { protocol: target.protocol, hostname: target.hostname, port: target.port, method, path: incoming.url, headers: incoming.headers },
        (response) => {
          answer.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(answer);
        },
      );
      forwarded.once('error', (error) => {
        if (!answer.headersSent) answer.writeHead(502, { 'content-type': 'text/plain' });
        answer.end(`s3-proxy could not reach ${upstream}: ${error.message}`);
      });
      incoming.pipe(forwarded);
    };
    if (injected) {
      incoming.pause();
      setTimeout(forward, injected.delayMs);
    } else {
      forward();
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    requestsOf: (operation) => requests.filter((request) => request.operation === operation),
    inject(next) {
      rule = next;
    },
    clear() {
      requests.length = 0;
      rule = undefined;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
