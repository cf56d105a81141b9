import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './cli-errors.js';

/**
 * The CLI reads the same variables as the functions, through the same loaders in shared/config;
 * each flag overrides one variable. This module is where flags become variables.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Variable name → new value; `undefined` removes the variable. */
export type Overrides = Readonly<Record<string, string | undefined>>;

export interface ConnectionValues {
  readonly region?: string | undefined;
  readonly 'endpoint-url'?: string | undefined;
  readonly profile?: string | undefined;
  readonly 'force-path-style'?: boolean | undefined;
  readonly 'required-key'?: string | undefined;
  readonly policy?: string | undefined;
  readonly mode?: string | undefined;
}

/** Service-specific endpoints win over AWS_ENDPOINT_URL in the SDK; --endpoint-url replaces them all. */
const SERVICE_ENDPOINTS = [
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_ENDPOINT_URL_SNS',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_SSM',
  'AWS_ENDPOINT_URL_ORGANIZATIONS',
  'AWS_ENDPOINT_URL_SECURITYHUB',
] as const;

/** Read by the SDK itself rather than by shared/config, so an override must reach the process. */
export const SDK_VARIABLES: readonly string[] = ['AWS_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL', ...SERVICE_ENDPOINTS];

/** `--policy JSON` or `--policy @FILE` (relative to the working directory). */
export const policyText = (value: string, command: string, cwd: string): string => {
  if (!value.startsWith('@')) return value;
  const path = resolve(cwd, value.slice(1));
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--policy ${value}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, command);
  }
};

export const connectionOverrides = (values: ConnectionValues, command: string, cwd: string): Overrides => {
  const overrides: Record<string, string | undefined> = {};
  if (values.region !== undefined) overrides['AWS_REGION'] = values.region;
  if (values.profile !== undefined) overrides['AWS_PROFILE'] = values.profile;
  if (values['endpoint-url'] !== undefined) {
    overrides['AWS_ENDPOINT_URL'] = values['endpoint-url'];
    for (const name of SERVICE_ENDPOINTS) overrides[name] = undefined;
  }
  if (values['force-path-style']) overrides['S3_FORCE_PATH_STYLE'] = 'true';
  if (values['required-key'] !== undefined) overrides['REQUIRED_KMS_KEY'] = values['required-key'];
  if (values.policy !== undefined) overrides['POLICY'] = policyText(values.policy, command, cwd);
  if (values.mode !== undefined) overrides['ENFORCEMENT_MODE'] = values.mode;
  return overrides;
};

export const withOverrides = (base: Environment, overrides: Overrides): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) Reflect.deleteProperty(env, name);
    else env[name] = value;
  }
  return env;
};

/** Makes the SDK's own variables (credentials profile, endpoints) follow the flags. */
export const exportSdkOverrides = (processEnv: Record<string, string | undefined>, overrides: Overrides): void => {
  for (const name of SDK_VARIABLES) {
    if (!(name in overrides)) continue;
    const value = overrides[name];
    if (value === undefined) Reflect.deleteProperty(processEnv, name);
    else processEnv[name] = value;
  }
};

export const hasRegion = (env: Environment): boolean => Boolean(env['AWS_REGION'] || env['AWS_DEFAULT_REGION']);

/** The environment a command's configuration is read from; the SDK's own variables are exported too. */
export const commandEnvironment = (processEnv: Record<string, string | undefined>, overrides: Overrides): Record<string, string | undefined> => {
  exportSdkOverrides(processEnv, overrides);
  return withOverrides(processEnv, overrides);
};
