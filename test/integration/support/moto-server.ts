import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../../tooling/lambda-environment.mjs';

/**
 * The integration tier's S3/KMS/SNS/SQS/EventBridge endpoint: moto's server on a free loopback port,
 * one per test file, reset between tests (tooling/moto-server.mjs, shared with `npm start` and the bench).
 */
export { startMotoServer, type MotoServer } from '../../../tooling/moto-server.mjs';

export const TEST_REGION = LOCAL_REGION;
export const TEST_ACCOUNT = LOCAL_ACCOUNT;

/** The environment any AWS client (or a built bundle) needs to talk to this endpoint. */
export const motoEnvironment = (endpoint: string): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: TEST_REGION,
  AWS_DEFAULT_REGION: TEST_REGION,
  AWS_ENDPOINT_URL: endpoint,
  S3_FORCE_PATH_STYLE: 'true',
});

/** Client settings for tests that talk to moto directly. */
export const motoClientConfig = (endpoint: string) => ({
  region: TEST_REGION,
  endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});
