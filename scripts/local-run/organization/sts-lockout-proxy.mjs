// STS in front of moto, with accounts locked out. moto assumes any role in any account, so an
// account whose role refuses the audit never happens there: this pass-through proxy answers
// AssumeRole into a locked-out account with STS's own AccessDenied, and forwards everything else
// to moto untouched. A minimal .mjs take on test/integration/support/sts-fault-proxy.ts (which a
// script cannot import), for the SDK's STS client: the AWS Query protocol, a form-encoded POST
// (`Action=AssumeRole&RoleArn=…`) answered with XML.
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { URL, URLSearchParams } from 'node:url';
import { SERVICE } from '../../../infra/organization/release.mjs';
import { LOCAL_ACCOUNT } from '../../../tooling/lambda-environment.mjs';

/** @import { IncomingMessage, ServerResponse } from 'node:http' */
/** @import { AddressInfo } from 'node:net' */

/**
 * @typedef {object} StsLockoutProxy
 * @property {string} endpoint `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_STS.
 * @property {(accountId: string) => void} lockOut From now on, AssumeRole of any role in the account is refused.
 * @property {() => { accountId: string, roleArn: string }[]} refusals Every AssumeRole refused so far.
 * @property {() => Promise<void>} stop
 */

/**
 * Who asks, as STS names the caller: the audit function's role (its sessions are named
 * s3-encryption-audit), else the management account itself (the run's own set-up).
 * @param {string} sessionName
 */
const callerOf = (sessionName) =>
  sessionName === 's3-encryption-audit' ? `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${SERVICE}-organization-auditor/${sessionName}` : `arn:aws:iam::${LOCAL_ACCOUNT}:root`;
const ROLE_ACCOUNT = /^arn:[a-z-]+:iam::(\d{12}):role\//;

/** @param {string} text */
const xml = (text) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** @param {string} roleArn @param {string} caller @param {string} requestId */
const accessDenied = (roleArn, caller, requestId) =>
  '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n' +
  `  <Error>\n    <Type>Sender</Type>\n    <Code>AccessDenied</Code>\n` +
  `    <Message>${xml(`User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`)}</Message>\n  </Error>\n` +
  `  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;

/** @param {IncomingMessage} incoming @returns {Promise<Buffer>} */
const readBody = (incoming) =>
  new Promise((resolve, reject) => {
    /** @type {Buffer[]} */
    const chunks = [];
    incoming.on('data', (/** @type {Buffer} */ chunk) => chunks.push(chunk));
    incoming.once('end', () => resolve(Buffer.concat(chunks)));
    incoming.once('error', reject);
  });

/**
 * @param {string} upstream moto's endpoint.
 * @returns {Promise<StsLockoutProxy>}
 */
export const startStsLockoutProxy = async (upstream) => {
  const target = new URL(upstream);
  /** @type {Set<string>} */
  const lockedOut = new Set();
  /** @type {{ accountId: string, roleArn: string }[]} */
  const refused = [];

  /** @param {IncomingMessage} incoming @param {ServerResponse} answer */
  const handle = async (incoming, answer) => {
    const body = await readBody(incoming);
    const params = incoming.method === 'POST' ? new URLSearchParams(body.toString('utf8')) : new URL(incoming.url ?? '/', 'http://proxy').searchParams;
    const roleArn = params.get('RoleArn') ?? '';
    const accountId = params.get('Action') === 'AssumeRole' ? ROLE_ACCOUNT.exec(roleArn)?.[1] : undefined;
    if (accountId !== undefined && lockedOut.has(accountId)) {
      refused.push({ accountId, roleArn });
      const requestId = randomUUID();
      const text = accessDenied(roleArn, callerOf(params.get('RoleSessionName') ?? ''), requestId);
      answer.writeHead(403, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(text) });
      answer.end(text);
      return;
    }
    const forwarded = httpRequest({ hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, (response) => {
      answer.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(answer);
    });
    forwarded.once('error', (error) => {
      if (!answer.headersSent) answer.writeHead(502, { 'content-type': 'text/plain' });
      answer.end(`sts-lockout-proxy could not reach ${upstream}: ${error.message}`);
    });
    forwarded.end(body);
  };

  const server = createServer((incoming, answer) => {
    handle(incoming, answer).catch((/** @type {unknown} */ error) => {
      if (!answer.headersSent) answer.writeHead(500, { 'content-type': 'text/plain' });
      answer.end(`sts-lockout-proxy failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {AddressInfo} */ (server.address());
  return {
    endpoint: `http://127.0.0.1:${port}`,
    lockOut: (accountId) => void lockedOut.add(accountId),
    refusals: () => [...refused],
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
