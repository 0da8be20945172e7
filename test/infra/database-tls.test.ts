/**
 * The dev stacks' database CA and certificates (infra/components/database-tls.ts) and PgBouncer's files
 * (infra/pgbouncer.ts, infra/devhost-env.ts), under mocks: who each certificate names, where each key goes,
 * and that the host gets exactly the config `test/infra/pgbouncer.test.ts` runs Debian's pgbouncer on.
 */
import { expect } from 'chai';
import { devHostFiles, devHostSecretsSchema } from '../../infra/devhost-env.ts';
import { HOST_PGBOUNCER, pgbouncerIni } from '../../infra/pgbouncer.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { customRun, ofType, one, stackRun } from './fixture.ts';

const KEY = 'tls:index/privateKey:PrivateKey';
const CSR = 'tls:index/certRequest:CertRequest';
const SIGNED = 'tls:index/locallySignedCert:LocallySignedCert';
const CA = 'tls:index/selfSignedCert:SelfSignedCert';
const PARAMETER = 'aws:ssm/parameter:Parameter';

const state = (run: OfflineRun, r: PlannedResource) => mockState(r.type, r.name, r.inputs, r.region ?? run.region);
const pem = (run: OfflineRun, type: string, suffix: string, attribute: string) => String(state(run, one(run, type, suffix))[attribute]);

describe('dev database TLS: the stack’s CA, PgBouncer’s certificate and the Lambdas’ client certificates', () => {
  for (const stack of ['dev', 'pr-7'] as const) {
    describe(stack, () => {
      it('one CA (ECDSA P-256, a CA certificate), PgBouncer’s certificate for the host’s static IP, a client certificate per Lambda login', async () => {
        const run = await stackRun(stack);
        const ip = String(run.outputs['devHostIp']);
        expect(ofType(run, KEY).map((k) => [k.name, k.inputs['algorithm'], k.inputs['ecdsaCurve']]).sort()).to.deep.equal(
          ['db-ca-key', 'db-payouts-client-key', 'db-pgbouncer-key', 'db-pipeline-client-key'].map((n) => [`svg-marketplace-${stack}-${n}`, 'ECDSA', 'P256']),
        );
        expect(one(run, CA, '-db-ca').inputs).to.deep.include({ isCaCertificate: true, allowedUses: ['cert_signing', 'crl_signing'] });
        expect(one(run, CSR, '-db-pgbouncer-csr').inputs).to.deep.include({ subject: { commonName: ip }, ipAddresses: [ip] });
        expect(one(run, SIGNED, '-db-pgbouncer').inputs['allowedUses']).to.deep.equal(['digital_signature', 'key_agreement', 'server_auth']);
        // The CN is the login PgBouncer lets the certificate's holder be.
        expect(one(run, CSR, '-db-pipeline-client-csr').inputs['subject']).to.deep.equal({ commonName: 'pipeline_login' });
        expect(one(run, CSR, '-db-payouts-client-csr').inputs['subject']).to.deep.equal({ commonName: 'payouts_login' });
        for (const leaf of ofType(run, SIGNED)) {
          expect(leaf.inputs['caCertPem'], leaf.name).to.equal(pem(run, CA, '-db-ca', 'certPem'));
          expect(leaf.inputs['caPrivateKeyPem'], leaf.name).to.equal(pem(run, KEY, '-db-ca-key', 'privateKeyPem'));
          expect(leaf.secretInputs, leaf.name).to.include('caPrivateKeyPem');
        }
        expect(one(run, SIGNED, '-db-pipeline-client').inputs['allowedUses']).to.deep.equal(['digital_signature', 'key_agreement', 'client_auth']);
      });

      it('each client’s CA, certificate and key go to its own SecureString, nowhere else', async () => {
        const run = await stackRun(stack);
        for (const component of ['pipeline', 'payouts']) {
          const parameter = one(run, PARAMETER, `-db-${component}-client-tls`);
          expect(parameter.inputs).to.include({ name: `/svg-marketplace/${stack}/database/${component}-client-tls`, type: 'SecureString' });
          expect(parameter.secretInputs).to.include('value');
          expect(parameter.deleteBeforeReplace).to.equal(true);
          expect(JSON.parse(String(parameter.inputs['value']))).to.deep.equal({
            ca: pem(run, CA, '-db-ca', 'certPem'),
            cert: pem(run, SIGNED, `-db-${component}-client`, 'certPem'),
            key: pem(run, KEY, `-db-${component}-client-key`, 'privateKeyPem'),
          });
        }
      });

      it('the host gets the CA, PgBouncer’s certificate and key through devHostSecrets; no client key', async () => {
        const run = await stackRun(stack);
        const secrets = devHostSecretsSchema.parse(run.outputs['devHostSecrets']);
        expect(secrets.pgbouncer).to.deep.include({
          ca: pem(run, CA, '-db-ca', 'certPem'),
          cert: pem(run, SIGNED, '-db-pgbouncer', 'certPem'),
          key: pem(run, KEY, '-db-pgbouncer-key', 'privateKeyPem'),
        });
        const text = JSON.stringify(secrets);
        for (const component of ['pipeline', 'payouts']) expect(text).to.not.contain(pem(run, KEY, `-db-${component}-client-key`, 'privateKeyPem'));
        expect(text).to.not.contain(pem(run, KEY, '-db-ca-key', 'privateKeyPem'));
      });

      it('renders PgBouncer’s files: the ini the real test runs (listening on every address at 6432), root-only, read by PgBouncer', async () => {
        const run = await stackRun(stack);
        const secrets = devHostSecretsSchema.parse(run.outputs['devHostSecrets']);
        const files = devHostFiles(secrets).filter((f) => f.path.startsWith(`${HOST_PGBOUNCER.configDir}/`));
        expect(files.map((f) => [f.path.slice(HOST_PGBOUNCER.configDir.length + 1), f.readers])).to.deep.equal(
          ['pgbouncer.ini', 'userlist.txt', 'ca.crt', 'server.crt', 'server.key'].map((name) => [name, ['pgbouncer']]),
        );
        const ini = files[0]!.content;
        expect(ini).to.equal(pgbouncerIni({ dir: HOST_PGBOUNCER.runDir, listenAddr: '*', port: 6432, upstream: secrets.pgbouncer!.upstream, serverTls: 'require' }));
        expect(ini).to.match(/^auth_type = cert$/m).and.match(/^client_tls_sslmode = verify-full$/m).and.match(/^pool_mode = session$/m).and.match(/^server_tls_sslmode = require$/m);
        expect(files[1]!.content).to.equal(secrets.pgbouncer!.logins.map((l) => `"${l.user}" "${l.password}"\n`).join(''));
      });
    });
  }

  it('prod has none of it: RDS in the VPC, its functions in the private subnets', async () => {
    const prod = await stackRun('prod');
    expect(prod.resources.filter((r) => r.type.startsWith('tls:'))).to.deep.equal([]);
    expect(ofType(prod, PARAMETER).filter((p) => p.name.includes('client-tls'))).to.deep.equal([]);
  });

  it('with the database on the host, the same certificates, and PgBouncer logs in to the host database’s container', async () => {
    const run = await customRun('dev', { config: { 'svg-marketplace:devDatabase': 'host' } });
    expect(ofType(run, SIGNED).map((c) => c.name).sort()).to.deep.equal(['svg-marketplace-dev-db-payouts-client', 'svg-marketplace-dev-db-pgbouncer', 'svg-marketplace-dev-db-pipeline-client']);
    expect(devHostSecretsSchema.parse(run.outputs['devHostSecrets']).pgbouncer!.upstream).to.deep.equal({ host: 'postgres', port: 5432, database: 'marketplace' });
  });
});
