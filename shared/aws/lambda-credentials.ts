import { fromEnv } from '@aws-sdk/credential-provider-env';
import { ENV_CMDS_FULL_URI, ENV_CMDS_RELATIVE_URI, fromContainerMetadata } from '@smithy/credential-provider-imds';

/**
 * Credentials as Lambda hands them to a function, in place of the SDK's whole default chain.
 *
 * The function bundles are built with this module standing in for `@aws-sdk/credential-provider-node`
 * (infra/build.mjs), whose `defaultProvider` every SDK client imports. Lambda gives a function its
 * execution role's temporary credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
 * `AWS_SESSION_TOKEN`; environments that serve credentials from a container endpoint set
 * `AWS_CONTAINER_CREDENTIALS_FULL_URI` or `…_RELATIVE_URI` instead. The rest of the default chain —
 * profiles and shared files, SSO, web identity, credential processes, EC2 instance metadata — never
 * applies inside Lambda, and it is about 100 KiB of code that every cold start would parse. The
 * `enforcer` CLI, which runs on people's machines, keeps the whole chain.
 */

export const CREDENTIALS_MISSING =
  'no AWS credentials: the function reads them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN), ' +
  `as Lambda sets them from the execution role, or from the container endpoint in ${ENV_CMDS_FULL_URI} or ${ENV_CMDS_RELATIVE_URI}`;

type ProviderInit = Parameters<typeof fromEnv>[0] & Parameters<typeof fromContainerMetadata>[0];
type CredentialsProvider = ReturnType<typeof fromEnv>;

const hasEnvironmentCredentials = (): boolean =>
  Boolean(process.env['AWS_ACCESS_KEY_ID'] && process.env['AWS_SECRET_ACCESS_KEY']);

const hasContainerEndpoint = (): boolean => Boolean(process.env[ENV_CMDS_FULL_URI] || process.env[ENV_CMDS_RELATIVE_URI]);

/**
 * The same signature as the SDK's `defaultProvider`. The environment is read at each resolution (the
 * SDK caches the identity and asks again only when it expires), so a refreshed set is picked up.
 */
export const defaultProvider = (init: ProviderInit = {}): CredentialsProvider => {
  const fromEnvironment = fromEnv(init);
  const fromContainer = fromContainerMetadata(init);
  return async () => {
    if (hasEnvironmentCredentials()) return fromEnvironment();
    if (hasContainerEndpoint()) return fromContainer();
    throw new Error(CREDENTIALS_MISSING);
  };
};
