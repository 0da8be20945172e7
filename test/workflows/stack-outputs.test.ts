/**
 * Every stack output the delivery reads (`pulumi stack output X` in the workflows and in
 * `scripts/deploy/on-hosts.sh`, `steps.<pulumi step>.outputs.X`) must be one the program exports
 * for the stacks that read it; otherwise a deploy breaks only when it runs.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostAppName } from '../../infra/host-layout.ts';
import { stackRun } from '../infra/fixture.ts';
import { outputsRead } from './checks.ts';

const read = (path: string) => readFileSync(path, 'utf8');

describe('stack outputs the delivery reads', () => {
  let outputs: Record<'dev' | 'prod' | 'pr-7', string[]>;
  let hostApps: Record<'dev' | 'prod' | 'pr-7', HostAppName[]>;
  before(async () => {
    const [dev, prod, pr] = await Promise.all([stackRun('dev'), stackRun('prod'), stackRun('pr-7')]);
    outputs = { dev: Object.keys(dev.outputs), prod: Object.keys(prod.outputs), 'pr-7': Object.keys(pr.outputs) };
    hostApps = { dev: dev.outputs['hostApps'] as HostAppName[], prod: prod.outputs['hostApps'] as HostAppName[], 'pr-7': pr.outputs['hostApps'] as HostAppName[] };
  });

  const missing = (names: string[], stack: 'dev' | 'prod' | 'pr-7') => names.filter((name) => !outputs[stack].includes(name)).map((name) => `${stack}: ${name}`);

  it('deploy.yml reads only outputs that dev and prod both export', () => {
    const text = read('.github/workflows/deploy.yml');
    const names = outputsRead(text, [...new Set([...hostApps.dev, ...hostApps.prod])]);
    expect(names).to.include.members(['apiRepositoryUrl', 'webRepositoryUrl', 'imageTag', 'hostApps', 'apiUrl', 'webUrl']);
    expect([...missing(names, 'dev'), ...missing(names, 'prod')]).to.deep.equal([]);
  });

  it('ephemeral.yml reads only outputs a pr-<n> stack exports', () => {
    const names = outputsRead(read('.github/workflows/ephemeral.yml'), hostApps['pr-7']);
    expect(names).to.include.members(['webUrl', 'apiUrl', 'hostApps']);
    expect(missing(names, 'pr-7')).to.deep.equal([]);
  });

  it('on-hosts.sh reads prod outputs on the prod branch and dev outputs on the other', () => {
    const text = read(join('scripts', 'deploy', 'on-hosts.sh'));
    const [common = '', branches = ''] = text.split(/^if \[\[ "\$\(output shape\)" == prod \]\]; then$/m);
    const [prodBranch = '', devBranch = ''] = branches.split(/^else$/m);
    // Both shapes: the deploy's database step (migrate up|logins) reads its environment from databaseMigration.
    expect(outputsRead(common, []).filter((n) => n !== 'shape')).to.deep.equal(['databaseMigration']);
    expect([...missing(['databaseMigration'], 'dev'), ...missing(['databaseMigration'], 'prod'), ...missing(['databaseMigration'], 'pr-7')]).to.deep.equal([]);
    expect(outputsRead(prodBranch, [])).to.have.members(['deployBucket', 'apiInstanceName']);
    expect(outputsRead(devBranch, [])).to.have.members(['devHostIp', 'devHostName', 'devHostSshKey']);
    expect([...missing(['shape', ...outputsRead(prodBranch, [])], 'prod'), ...missing(['shape', ...outputsRead(devBranch, [])], 'dev'), ...missing(outputsRead(devBranch, []), 'pr-7')]).to.deep.equal([]);
  });

  it('the check notices an output the program does not export', () => {
    const names = outputsRead('repo=$(pulumi stack output searchRepositoryUrl)\nfor app in x; do pulumi stack output "${app}RepositoryUrl"; done', ['api']);
    expect(names).to.have.members(['searchRepositoryUrl', 'apiRepositoryUrl']);
    expect(missing(names, 'dev')).to.deep.equal(['dev: searchRepositoryUrl']);
  });
});
