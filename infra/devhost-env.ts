/**
 * The dev host's secret files (AWS credentials, the API's env file, a host database's env file),
 * rendered from the stack's `devHostSecrets` output. Lightsail instances take no IAM role and
 * user data can neither be rotated nor kept out of the console, so the deploy writes these files
 * over SSH (`scripts/deploy/host-secrets.ts`) on every run. Pure, no Pulumi imports: the Pulumi
 * program builds the output with this schema's type and the deploy parses it with the schema.
 */
import { z } from 'zod';
import { API_SECRET_ENV } from './api-env.ts';
import { CONFIG_DIR, envFileContent, HOST_APPS, listenEnv } from './host-layout.ts';
import { TRUST_PROXY } from './host-nginx.ts';
import { HOST_PGBOUNCER, PGBOUNCER_FILES, PGBOUNCER_PORT, pgbouncerAuthFile, pgbouncerIni } from './pgbouncer.ts';

/** Read by the ECR credential helper (every `docker pull`) and the AWS CLI: root's shared files. */
export const AWS_CREDENTIALS_FILE = '/root/.aws/credentials';
export const AWS_CONFIG_FILE = '/root/.aws/config';
/** POSTGRES_* for the host database's container (`devDatabase: host`). */
export const POSTGRES_ENV_FILE = `${CONFIG_DIR}/postgres.env`;
/** The host database's container: its name, image and TLS files (the boot script makes the certificate). */
export const HOST_POSTGRES = { container: 'postgres', image: 'postgres:16', volume: 'pgdata', tlsDir: '/opt/pg-tls' } as const;

/** What reads a file and must be restarted (the API, PgBouncer) or told (the database) when it changes. */
export type FileReader = 'api' | 'postgres' | 'pgbouncer';

export interface HostFile {
  path: string;
  content: string;
  /** Empty: the readers read the file on every use (the credential helper). */
  readers: FileReader[];
}

/** One PEM block of the given kind (`PRIVATE KEY` also matches `EC PRIVATE KEY`, `RSA PRIVATE KEY`). */
function pem(kind: string) {
  return z.string().regex(new RegExp(`^-----BEGIN ([A-Z]+ )?${kind}-----\\n[\\s\\S]+\\n-----END ([A-Z]+ )?${kind}-----\\n?$`), `a PEM ${kind}`);
}

/** Values that go into env files unquoted (see `envFileContent`) or an INI file. */
const plain = z.string().regex(/^[A-Za-z0-9_.:/@%+=,?&!()*~-]+$/, 'letters, digits and URL punctuation only (no quotes, #, $, \\ or whitespace)');

export const devHostSecretsSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region'),
  /** The host's IAM user's key: ECR pulls and the API's AWS calls. */
  awsAccessKeyId: plain,
  awsSecretAccessKey: plain,
  /** The API's settings that are not secret (`apiHostEnv`): they ride along so a changed setting reaches the host too. */
  apiSettings: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()),
  /** The API's DATABASE_URL: the one place the API's database login comes from. */
  apiDatabaseUrl: plain.regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
  cursorSecret: plain.min(32),
  /** Set when the host runs PostgreSQL itself (`devDatabase: host`). */
  hostDatabase: z.strictObject({ name: plain, user: plain, password: plain.min(16), port: z.number().int() }).optional(),
  /**
   * PgBouncer, the Lambdas' only way to the database (infra/pgbouncer.ts): the real database it logs in to, the
   * stack's CA (which signed the clients' certificates), its own certificate and key, and the password of each
   * login a client certificate names.
   */
  pgbouncer: z
    .strictObject({
      upstream: z.strictObject({ host: plain, port: z.number().int(), database: plain }),
      ca: pem('CERTIFICATE'),
      cert: pem('CERTIFICATE'),
      key: pem('PRIVATE KEY'),
      logins: z.array(z.strictObject({ user: z.string().regex(/^[a-z_][a-z0-9_]*$/), password: plain.min(16) })).min(1),
    })
    .optional(),
});
export type DevHostSecrets = z.infer<typeof devHostSecretsSchema>;

/** Variables the renderer sets itself; the API settings may not carry them. */
const RENDERED = ['PORT', 'HOST', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'TRUST_PROXY', ...Object.values(API_SECRET_ENV)];

/** The API container's whole environment on a dev host. */
export function devHostApiEnv(secrets: DevHostSecrets): Record<string, string> {
  const clash = Object.keys(secrets.apiSettings).filter((name) => RENDERED.includes(name));
  if (clash.length > 0) throw new Error(`devHostSecrets.apiSettings must not set ${clash.join(', ')}: the renderer does`);
  return {
    ...listenEnv('api'),
    AWS_REGION: secrets.region,
    AWS_ACCESS_KEY_ID: secrets.awsAccessKeyId,
    AWS_SECRET_ACCESS_KEY: secrets.awsSecretAccessKey,
    ...secrets.apiSettings,
    // Express `trust proxy`: Nginx reaches the container through the Docker network's gateway.
    TRUST_PROXY,
    [API_SECRET_ENV.databaseUrl]: secrets.apiDatabaseUrl,
    [API_SECRET_ENV.cursorSecret]: secrets.cursorSecret,
  };
}

/** Every file the deploy writes on a dev host, root-owned and 0600. */
export function devHostFiles(secrets: DevHostSecrets): HostFile[] {
  const files: HostFile[] = [
    { path: AWS_CREDENTIALS_FILE, content: `[default]\naws_access_key_id = ${secrets.awsAccessKeyId}\naws_secret_access_key = ${secrets.awsSecretAccessKey}\n`, readers: [] },
    { path: AWS_CONFIG_FILE, content: `[default]\nregion = ${secrets.region}\n`, readers: [] },
    { path: HOST_APPS.api.envFile, content: envFileContent(devHostApiEnv(secrets)), readers: ['api'] },
  ];
  if (secrets.hostDatabase) {
    const db = secrets.hostDatabase;
    files.push({ path: POSTGRES_ENV_FILE, content: envFileContent({ POSTGRES_DB: db.name, POSTGRES_USER: db.user, POSTGRES_PASSWORD: db.password }), readers: ['postgres'] });
  }
  if (secrets.pgbouncer) files.push(...pgbouncerFiles(secrets.pgbouncer));
  return files;
}

/** PgBouncer's files, as its container reads them (`HOST_PGBOUNCER.runDir`, its copy of `configDir`). */
export function pgbouncerFiles(pgbouncer: NonNullable<DevHostSecrets['pgbouncer']>): HostFile[] {
  const at = (name: string) => `${HOST_PGBOUNCER.configDir}/${name}`;
  const ini = pgbouncerIni({ dir: HOST_PGBOUNCER.runDir, listenAddr: '*', port: PGBOUNCER_PORT, upstream: pgbouncer.upstream, serverTls: 'require' });
  const withNewline = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  return [
    { path: at(PGBOUNCER_FILES.ini), content: ini, readers: ['pgbouncer'] },
    { path: at(PGBOUNCER_FILES.authFile), content: pgbouncerAuthFile(pgbouncer.logins), readers: ['pgbouncer'] },
    { path: at(PGBOUNCER_FILES.ca), content: withNewline(pgbouncer.ca), readers: ['pgbouncer'] },
    { path: at(PGBOUNCER_FILES.cert), content: withNewline(pgbouncer.cert), readers: ['pgbouncer'] },
    { path: at(PGBOUNCER_FILES.key), content: withNewline(pgbouncer.key), readers: ['pgbouncer'] },
  ];
}

/** Every secret value in the output, for masking in workflow logs and for tests that look for leaks. */
export function secretValues(secrets: DevHostSecrets): string[] {
  return [
    secrets.awsSecretAccessKey,
    secrets.apiDatabaseUrl,
    secrets.cursorSecret,
    ...(secrets.hostDatabase ? [secrets.hostDatabase.password] : []),
    ...(secrets.pgbouncer ? [secrets.pgbouncer.key, ...secrets.pgbouncer.logins.map((l) => l.password)] : []),
  ];
}
