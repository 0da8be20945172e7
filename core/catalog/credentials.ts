/**
 * Where a deployed component's database password comes from. Locally (`npm start`, tests) `DATABASE_URL`
 * carries it; deployed, `DATABASE_URL` names the user, host and database only and the password is read at
 * cold start from Secrets Manager (a JSON secret with `password`, the shape of RDS's managed master secret
 * and of the stack's per-component secrets) or from an SSM SecureString, through Powertools Parameters.
 * Its cache expires, so a rotated password reaches the connections opened after rotation.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { z } from 'zod';
import { awsClientConfig } from '../aws.ts';

/** How long a read password is reused before the next new connection reads it again. */
export const PASSWORD_CACHE_SECONDS = 300;

/** The variables, to merge into a component's environment schema. */
export const DatabaseCredentialsEnv = z.object({
  /** Secrets Manager secret (ARN or name) whose JSON value holds `password` (and, if any, `username`). */
  DATABASE_SECRET_ARN: z.string().min(1).optional(),
  /** SSM SecureString parameter holding the password. */
  DATABASE_PASSWORD_PARAMETER: z.string().startsWith('/', 'must be an SSM parameter name starting with "/"').optional(),
  /**
   * SSM SecureString holding `{"ca","cert","key"}` (JSON, PEM): a dev stack's Lambdas log in to the dev host's
   * PgBouncer with this client certificate (its CN is the login) and trust only that CA for the server
   * (infra/components/database-tls.ts). Unset locally: nothing changes.
   */
  DATABASE_TLS_PARAMETER: z.string().startsWith('/', 'must be an SSM parameter name starting with "/"').optional(),
});
export type DatabaseCredentialsEnv = z.infer<typeof DatabaseCredentialsEnv>;

const SecretValue = z.object({ password: z.string().min(1), username: z.string().optional() });

/**
 * The password reader for `createDb` when the environment names a secret or parameter; undefined when
 * `DATABASE_URL` carries the password itself. Refuses two sources, or a secret made for another user.
 */
export function databasePasswordSource(
  env: DatabaseCredentialsEnv & { DATABASE_URL: string },
  awsEnv: NodeJS.ProcessEnv = process.env,
): PasswordSource | undefined {
  const { DATABASE_SECRET_ARN: secretId, DATABASE_PASSWORD_PARAMETER: parameter } = env;
  if (secretId && parameter) throw new Error('set DATABASE_SECRET_ARN or DATABASE_PASSWORD_PARAMETER, not both');
  if (!secretId && !parameter) return undefined;
  const url = new URL(env.DATABASE_URL);
  if (url.password) throw new Error(`DATABASE_URL carries a password and ${secretId ? 'DATABASE_SECRET_ARN' : 'DATABASE_PASSWORD_PARAMETER'} is set: keep one`);
  const user = decodeURIComponent(url.username);
  return sharedWhilePending(secretId ? secretReader(secretId, user, awsEnv) : parameterReader(parameter!, awsEnv));
}

/** Reads the password for a new connection; `forget()` makes the next read skip the cache. */
export interface PasswordSource {
  (): Promise<string>;
  /**
   * The database refused the cached password: a rotation's logins step has run since it was read (hostile
   * review 3, finding 4). The next read asks the service again instead of waiting out PASSWORD_CACHE_SECONDS.
   */
  forget(): void;
}

/** A pool opening several connections at a cold start asks the service once, not once per connection. */
function sharedWhilePending(read: (fresh: boolean) => Promise<string>): PasswordSource {
  let pending: Promise<string> | undefined;
  let stale = false;
  const source = () => {
    if (!pending) {
      const fresh = stale;
      stale = false;
      pending = read(fresh).finally(() => (pending = undefined));
    }
    return pending;
  };
  return Object.assign(source, { forget: () => void (stale = true) });
}

function secretReader(secretId: string, user: string, awsEnv: NodeJS.ProcessEnv): (fresh?: boolean) => Promise<string> {
  const secrets = new SecretsProvider({ clientConfig: awsClientConfig(awsEnv, 'SECRETS_MANAGER') });
  return async (fresh = false) => {
    const value = SecretValue.safeParse(await secrets.get(secretId, { transform: 'json', maxAge: PASSWORD_CACHE_SECONDS, forceFetch: fresh }));
    if (!value.success) throw new Error(`secret ${secretId} is not a JSON object with a password`);
    if (value.data.username !== undefined && value.data.username !== user) {
      throw new Error(`secret ${secretId} is for database user "${value.data.username}", DATABASE_URL logs in as "${user}"`);
    }
      return value.data.password;
  };
}

/** A client certificate with its key and the only CA its server may present a certificate from (PEM). */
export const ClientTlsMaterial = z.strictObject({
  ca: z.string().includes('-----BEGIN CERTIFICATE-----'),
  cert: z.string().includes('-----BEGIN CERTIFICATE-----'),
  key: z.string().includes('PRIVATE KEY-----'),
});
export type ClientTlsMaterial = z.infer<typeof ClientTlsMaterial>;

/**
 * The reader of `DATABASE_TLS_PARAMETER` for `createDb`'s `tls`, or undefined when it is not set. Read once
 * at cold start: the pool is built with it (a renewed certificate reaches the next cold start).
 */
export function databaseTlsSource(env: DatabaseCredentialsEnv, awsEnv: NodeJS.ProcessEnv = process.env): (() => Promise<ClientTlsMaterial>) | undefined {
  const parameter = env.DATABASE_TLS_PARAMETER;
  if (!parameter) return undefined;
  const ssm = new SSMProvider({ clientConfig: awsClientConfig(awsEnv, 'SSM') });
  return async () => {
    const value = ClientTlsMaterial.safeParse(await ssm.get(parameter, { decrypt: true, transform: 'json', maxAge: PASSWORD_CACHE_SECONDS }));
    if (!value.success) throw new Error(`SSM parameter ${parameter} is not a JSON object with PEM ca, cert and key`);
    return value.data;
  };
}

/** Reads an SSM SecureString password (decrypted, cached for PASSWORD_CACHE_SECONDS unless `fresh`). */
export function parameterReader(parameter: string, awsEnv: NodeJS.ProcessEnv): (fresh?: boolean) => Promise<string> {
  const ssm = new SSMProvider({ clientConfig: awsClientConfig(awsEnv, 'SSM') });
  return async (fresh = false) => {
    const value = await ssm.get(parameter, { decrypt: true, maxAge: PASSWORD_CACHE_SECONDS, forceFetch: fresh });
    if (!value) throw new Error(`SSM parameter ${parameter} is empty`);
    return value;
  };
}
