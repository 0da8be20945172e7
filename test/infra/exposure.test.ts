import { expect } from 'chai';
import { customRun, one, stackRun } from './fixture.ts';

const PORTS = 'aws:lightsail/instancePublicPorts:InstancePublicPorts';

describe('exposure: SSH and PostgreSQL are not open to the world', () => {
  it('dev: by default the host opens only HTTP and HTTPS (the deploy opens SSH for its own runner while it runs)', async () => {
    const dev = await stackRun('dev');
    expect(one(dev, PORTS, '-host-firewall').inputs['portInfos']).to.deep.equal([
      { protocol: 'tcp', fromPort: 80, toPort: 80 },
      { protocol: 'tcp', fromPort: 443, toPort: 443 },
    ]);
    expect(dev.outputs['devHostName']).to.equal('svg-marketplace-dev-host');
  });

  it('dev: adminCidrs open SSH to exactly those addresses, IPv4 and IPv6 apart', async () => {
    const dev = await customRun('dev', { config: { 'svg-marketplace:adminCidrs': ['203.0.113.0/24', '2001:db8::/32'] } });
    expect(one(dev, PORTS, '-host-firewall').inputs['portInfos']).to.deep.equal([
      { protocol: 'tcp', fromPort: 80, toPort: 80 },
      { protocol: 'tcp', fromPort: 443, toPort: 443 },
      { protocol: 'tcp', fromPort: 22, toPort: 22, cidrs: ['203.0.113.0/24'], ipv6Cidrs: ['2001:db8::/32'] },
    ]);
  });

  it('dev with the database on the host: PostgreSQL stays reachable for the functions (no fixed Lambda address), SSH does not', async () => {
    const dev = await customRun('dev', { config: { 'svg-marketplace:devDatabase': 'host' } });
    expect(one(dev, PORTS, '-host-firewall').inputs['portInfos']).to.deep.equal([
      { protocol: 'tcp', fromPort: 80, toPort: 80 },
      { protocol: 'tcp', fromPort: 443, toPort: 443 },
      { protocol: 'tcp', fromPort: 5432, toPort: 5432 },
    ]);
  });

  it('a malformed admin address is refused with the key named', async () => {
    const error = await customRun('dev', { config: { 'svg-marketplace:adminCidrs': ['0.0.0.0/33'] } }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).to.contain('svg-marketplace:adminCidrs.0: must be an IPv4 or IPv6 address or CIDR block');
  });
});
