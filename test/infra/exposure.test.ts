import { expect } from 'chai';
import { customRun, ofType, one, stackRun, TYPES } from './fixture.ts';

const PORTS = 'aws:lightsail/instancePublicPorts:InstancePublicPorts';
/** PgBouncer (infra/pgbouncer.ts): TLS with a client certificate from the stack's CA, the Lambdas' only way in. */
const PGBOUNCER = { protocol: 'tcp', fromPort: 6432, toPort: 6432 };

describe('exposure: SSH and PostgreSQL are not open to the world', () => {
  for (const stack of ['dev', 'pr-7'] as const) {
    it(`${stack}: by default the host opens HTTP, HTTPS and PgBouncer, never PostgreSQL (the deploy opens SSH for its own runner while it runs)`, async () => {
      const run = await stackRun(stack);
      expect(one(run, PORTS, '-host-firewall').inputs['portInfos']).to.deep.equal([
        { protocol: 'tcp', fromPort: 80, toPort: 80 },
        { protocol: 'tcp', fromPort: 443, toPort: 443 },
        PGBOUNCER,
      ]);
      expect(run.outputs['devHostName']).to.equal(`svg-marketplace-${stack}-host`);
    });

    it(`${stack}: the Lightsail database is not publicly accessible (the host reaches it inside Lightsail)`, async () => {
      const run = await stackRun(stack);
      expect(ofType(run, TYPES.lightsailDatabase).map((db) => [db.name, db.inputs['publiclyAccessible']])).to.deep.equal([[`svg-marketplace-${stack}-db`, false]]);
    });
  }

  it('dev: adminCidrs open SSH to exactly those addresses, IPv4 and IPv6 apart', async () => {
    const dev = await customRun('dev', { config: { 'svg-marketplace:adminCidrs': ['203.0.113.0/24', '2001:db8::/32'] } });
    expect(one(dev, PORTS, '-host-firewall').inputs['portInfos']).to.deep.equal([
      { protocol: 'tcp', fromPort: 80, toPort: 80 },
      { protocol: 'tcp', fromPort: 443, toPort: 443 },
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['203.0.113.0/24'], ipv6Cidrs: ['2001:db8::/32'] },
      PGBOUNCER,
    ]);
  });

  it('dev with the database on the host: the functions reach it through PgBouncer, PostgreSQL and SSH stay closed', async () => {
    const dev = await customRun('dev', { config: { 'svg-marketplace:devDatabase': 'host' } });
    expect(one(dev, PORTS, '-host-firewall').inputs['portInfos']).to.deep.equal([
      { protocol: 'tcp', fromPort: 80, toPort: 80 },
      { protocol: 'tcp', fromPort: 443, toPort: 443 },
      PGBOUNCER,
    ]);
    expect(ofType(dev, TYPES.lightsailDatabase)).to.deep.equal([]);
  });

  it('a malformed admin address is refused with the key named', async () => {
    const error = await customRun('dev', { config: { 'svg-marketplace:adminCidrs': ['0.0.0.0/33'] } }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).to.contain('svg-marketplace:adminCidrs.0: must be an IPv4 or IPv6 address or CIDR block');
  });
});
