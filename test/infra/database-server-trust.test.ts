/**
 * How deployed clients trust the database server (issue 13), against a real PostgreSQL with TLS on: a server
 * certificate for `localhost` signed by a test CA (openssl), standing in for an RDS instance's certificate from
 * the Amazon RDS CAs, which Node's store lacks as it lacks the test CA. The URL is the one the program builds for
 * prod (the API's DATABASE_URL parameter, under mocks) with only the host, port, login and database swapped.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { AWS_RDS_CA, awsRdsCaBundle, connectionConfig } from '../../core/catalog/index.ts';
import { createApiDb } from '../../app/api/database.ts';
import { tlsParameters } from '../../infra/components/database.ts';
import { startPostgres, type LocalPostgres } from '../../scripts/local/postgres.ts';
import { one, stackRun } from './fixture.ts';

const PARAMETER = 'aws:ssm/parameter:Parameter';
const SERVER_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n';

describe('database server trust: managed databases verified against the Amazon RDS CAs (real PostgreSQL with TLS)', function () {
  this.timeout(120_000);
  let dir: string;
  let server: LocalPostgres;
  let testCa: string;
  let otherCa: string;
  /** The program's prod API URL, pointed at the test server as `localhost`. */
  let prodUrl: URL;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'db-trust-test-'));
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const ca = (name: string) => {
      openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-days', '2', '-out', `${name}.crt`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
      return readFileSync(join(dir, `${name}.crt`), 'utf8');
    };
    testCa = ca('test-rds-ca');
    otherCa = ca('other-ca');
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr']);
    writeFileSync(join(dir, 'server.ext'), SERVER_EXT);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'test-rds-ca.crt', '-CAkey', 'test-rds-ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt']);
    // PostgreSQL reads its key only when the server's user owns it, mode 0600 (as root, that user is `postgres`).
    if (process.getuid?.() === 0) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      for (const name of ['server.crt', 'server.key']) chownSync(join(dir, name), id('-u'), id('-g'));
    }
    execFileSync('chmod', ['0600', join(dir, 'server.key')]);
    execFileSync('chmod', ['0755', dir]);
    server = await startPostgres({
      dataDir: join(dir, 'cluster'),
      postgresFlags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${join(dir, 'server.crt')}`, '-c', `ssl_key_file=${join(dir, 'server.key')}`],
    });

    const run = await stackRun('prod');
    const programUrl = new URL(String(one(run, PARAMETER, '-api-database-url').inputs['value']));
    const local = new URL(server.connectionString());
    prodUrl = new URL(programUrl);
    Object.assign(prodUrl, { hostname: 'localhost', port: local.port, username: local.username, password: local.password, pathname: local.pathname });
    // The program's own TLS parameters, untouched.
    expect(prodUrl.search).to.equal(programUrl.search).and.equal('?sslmode=verify-full&sslrootcert=aws-rds');
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One connection's TLS state, or the error that refused it. */
  async function attempt(config: pg.ClientConfig): Promise<string> {
    const client = new pg.Client({ connectionTimeoutMillis: 5_000, ...config });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
      return rows[0]!.ssl ? 'connected over TLS' : 'connected in clear';
    } catch (error) {
      return `refused: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  const withHost = (url: URL, hostname: string) => Object.assign(new URL(url), { hostname }).toString();

  describe("(a) the program's prod URL", () => {
    it('connects when the RDS CA selection holds the CA that signed the server', async () => {
      expect(await attempt(connectionConfig(prodUrl.toString(), {}, () => [testCa]))).to.equal('connected over TLS');
    });

    it('is refused with a certificate error when the server was signed by another CA', async () => {
      expect(await attempt(connectionConfig(prodUrl.toString(), {}, () => [otherCa]))).to.match(/^refused: .*(self[- ]signed certificate|unable to (get local issuer|verify the first) certificate)/);
    });

    it("is refused when the server's certificate does not name the URL's host", async () => {
      expect(await attempt(connectionConfig(withHost(prodUrl, '127.0.0.1'), {}, () => [testCa]))).to.match(/^refused: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list/);
    });

    it('by default trusts the Amazon RDS bundle only, in the API pool too: the test CA is not in it, so the server is refused', async () => {
      expect(await attempt(connectionConfig(prodUrl.toString()))).to.match(/^refused: .*certificate/);
      const db = createApiDb(prodUrl.toString(), { max: 1, connectionTimeoutMillis: 5_000 });
      try {
        const error = await sql`select 1`.execute(db).then(() => undefined, (e: Error) => e);
        expect(error?.message).to.match(/certificate/);
      } finally {
        await db.destroy();
      }
    });
  });

  describe('(b) the defect: the URL the program built before (sslmode=require)', () => {
    const before = () => Object.assign(new URL(prodUrl), { search: '?sslmode=require' }).toString();

    it('is refused by pg against a server whose CA is not in Node\'s store, as RDS would have been in AWS', async () => {
      expect(await attempt({ connectionString: before() })).to.match(/^refused: .*(self[- ]signed certificate|unable to (get local issuer|verify the first) certificate)/);
    });

    it('is refused by name by connectionConfig: sslmode=require means verify-full against Node\'s store in pg', () => {
      expect(() => connectionConfig(before())).to.throw("the database URL's TLS parameters are invalid: sslmode=require is not verify-full, no-verify or disable");
      expect(() => connectionConfig(Object.assign(new URL(prodUrl), { search: `?sslmode=require&sslrootcert=${AWS_RDS_CA}` }).toString())).to.throw(/sslmode=require is not/);
      expect(() => connectionConfig(Object.assign(new URL(prodUrl), { search: `?sslrootcert=${AWS_RDS_CA}` }).toString())).to.throw('sslrootcert=aws-rds needs sslmode=verify-full');
    });
  });

  describe('(c) what a managed database is verified against', () => {
    it("is the Amazon RDS bundle, holding the stack region's RSA2048 G1 root", async () => {
      const run = await stackRun('prod');
      const ssl = connectionConfig(prodUrl.toString()).ssl as { ca: string[]; rejectUnauthorized: boolean };
      expect(ssl.rejectUnauthorized).to.equal(true);
      expect(ssl.ca).to.deep.equal(awsRdsCaBundle());
      const roots = ssl.ca.map((pem) => new X509Certificate(pem)).filter((cert) => cert.subject.split('\n').includes(`CN=Amazon RDS ${run.region} Root CA RSA2048 G1`));
      expect(run.region).to.equal('us-east-1');
      expect(roots).to.have.length(1);
      expect(roots[0]!.ca).to.equal(true);
      expect(roots[0]!.checkIssued(roots[0]!)).to.equal(true);
    });
  });

  describe("the dev host's own PostgreSQL (on the host only)", () => {
    it('is reached in clear, by the same TLS parameters the program gives the host database', async () => {
      const url = Object.assign(new URL(prodUrl), { search: `?${tlsParameters('on-host')}` }).toString();
      expect(url).to.match(/\?sslmode=disable$/);
      expect(await attempt(connectionConfig(url))).to.equal('connected in clear');
    });
  });
});
