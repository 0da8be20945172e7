/**
 * PgBouncer on the dev host (issue 13): the only way into a dev stack's PostgreSQL from outside the
 * host. Dev Lambdas run outside any VPC (a NAT would break dev's budget) and have no fixed address, so
 * port 6432 is open to the internet, but PgBouncer speaks TLS only and lets in only a client whose
 * certificate the stack's own CA signed (`auth_type = cert`), as the user its certificate's CN names
 * (`pipeline_login`, `payouts_login`). It then logs in to the real database as that user with the
 * password from its auth file. The database itself is never public: the Lightsail database is not
 * publicly accessible, and a host database publishes 5432 on the host's loopback only.
 *
 * Pure, no Pulumi imports: the deploy writes these files over SSH (`scripts/deploy/host-files.ts`) and
 * `test/infra/pgbouncer.test.ts` runs Debian's pgbouncer on exactly this config.
 */
import { CONFIG_DIR } from './host-layout.ts';

export const PGBOUNCER_PORT = 6432;

/** The container, the image the deploy builds on the host (Debian's package) and where its files live. */
export const HOST_PGBOUNCER = {
  container: 'pgbouncer',
  image: 'marketplace-pgbouncer:bookworm',
  /** Root-only files the deploy writes (0600); the container copies them for its `postgres` user at start. */
  configDir: `${CONFIG_DIR}/pgbouncer`,
  /** Where the container mounts `configDir` (read-only) and where pgbouncer reads its copy. */
  mountDir: '/config',
  runDir: '/run/pgbouncer-config',
} as const;

/** Debian's pgbouncer (the package the test runs), in the smallest Debian image. */
export const PGBOUNCER_DOCKERFILE = `FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends pgbouncer && rm -rf /var/lib/apt/lists/*
`;

/** The file names inside the config folder. */
export const PGBOUNCER_FILES = { ini: 'pgbouncer.ini', authFile: 'userlist.txt', ca: 'ca.crt', cert: 'server.crt', key: 'server.key' } as const;

export interface PgBouncerArgs {
  /** Where pgbouncer finds its files (the container's copy; a temporary folder in the test). */
  dir: string;
  /** `*` on the host (the container's port is published); loopback addresses in the test. */
  listenAddr: string;
  port: number;
  /** The real database: the Lightsail endpoint, or the host database's container on the Docker network. */
  upstream: { host: string; port: number; database: string };
  /**
   * TLS towards the real database. `require` on the host (Lightsail and the host database both speak TLS);
   * the test's embedded PostgreSQL has none.
   */
  serverTls: 'require' | 'prefer';
}

/**
 * Session pooling: a client keeps its server connection until it disconnects, so session state (SET,
 * advisory locks, prepared statements) behaves as on a direct connection. Transaction pooling would save
 * server connections the dev database does not lack, and the functions' code was never checked against it.
 */
export function pgbouncerIni(args: PgBouncerArgs): string {
  const file = (name: string) => `${args.dir}/${name}`;
  const { host, port, database } = args.upstream;
  for (const value of [host, database, args.listenAddr, args.dir]) {
    if (!/^[A-Za-z0-9_.:*/,-]+$/.test(value)) throw new Error(`pgbouncer.ini: ${JSON.stringify(value)} is not a plain host, path or name`);
  }
  return [
    '[databases]',
    // Only the marketplace database; no fallback `*` entry, and no admin console users.
    `${database} = host=${host} port=${port} dbname=${database}`,
    '',
    '[pgbouncer]',
    `listen_addr = ${args.listenAddr}`,
    `listen_port = ${args.port}`,
    'unix_socket_dir =',
    // The client's certificate is its login: its CN must equal the user it asks for.
    'auth_type = cert',
    `auth_file = ${file(PGBOUNCER_FILES.authFile)}`,
    // TLS or nothing, and a certificate signed by the stack's CA.
    'client_tls_sslmode = verify-full',
    `client_tls_ca_file = ${file(PGBOUNCER_FILES.ca)}`,
    `client_tls_cert_file = ${file(PGBOUNCER_FILES.cert)}`,
    `client_tls_key_file = ${file(PGBOUNCER_FILES.key)}`,
    'client_tls_protocols = tlsv1.2,tlsv1.3',
    `server_tls_sslmode = ${args.serverTls}`,
    'pool_mode = session',
    'max_client_conn = 200',
    'default_pool_size = 20',
    'server_login_retry = 5',
    'ignore_startup_parameters = extra_float_digits',
    'log_connections = 1',
    'log_disconnections = 1',
    '',
  ].join('\n');
}

export interface PgBouncerLogin {
  user: string;
  password: string;
}

/**
 * The auth file: `"user" "password"` per login. With `auth_type = cert` no client ever sends these;
 * pgbouncer uses them to log in to the real database as the certificate's user (plain text, which
 * SCRAM towards the server needs).
 */
export function pgbouncerAuthFile(logins: PgBouncerLogin[]): string {
  return logins
    .map(({ user, password }) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(user)) throw new Error(`pgbouncer auth file: ${JSON.stringify(user)} is not a login user`);
      if (/["\s]/.test(password)) throw new Error(`pgbouncer auth file: ${user}'s password holds a quote or whitespace`);
      return `"${user}" "${password}"\n`;
    })
    .join('');
}

/**
 * The container's command: copy the root-only files for the image's `postgres` user (pgbouncer refuses to
 * run as root), then run pgbouncer as that user in the foreground.
 */
export function pgbouncerCommand(): string[] {
  const { mountDir, runDir } = HOST_PGBOUNCER;
  return [
    'sh',
    '-c',
    `install -d -o postgres -g postgres -m 700 ${runDir} && install -o postgres -g postgres -m 600 ${mountDir}/* ${runDir}/ && exec setpriv --reuid=postgres --regid=postgres --init-groups pgbouncer ${runDir}/${PGBOUNCER_FILES.ini}`,
  ];
}
