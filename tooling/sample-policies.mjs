// Bucket policies the sample estates hold (npm start, the bench, the integration tier).

/**
 * The TLS-only policy the audit's s3-tls-only-policy check passes: every principal denied s3:* on
 * the bucket and its objects when aws:SecureTransport is false.
 * @param {string} bucket
 * @returns {string}
 */
export const tlsOnlyPolicy = (bucket) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
