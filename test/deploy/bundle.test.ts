import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { catalogMigrations } from '../../core/catalog/index.ts';
import { bundleHostCommands } from '../../scripts/deploy/bundle.ts';
import { testPostgres } from '../support/postgres.ts';

const run = promisify(execFile);

describe('deploy/bundle: the host commands run from their bundles alone', () => {
  let out: string;
  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'host-bundles-'));
    await bundleHostCommands(out);
  });
  after(() => rm(out, { recursive: true, force: true }));

  it('migrate.mjs applies the catalog migrations with only Node, from another folder', async () => {
    const postgres = await testPostgres();
    const name = `bundle_${process.pid}`;
    const url = await postgres.createDatabase(name);
    try {
      // cwd outside the repository: no node_modules to fall back on, as on a host.
      const { stdout } = await run(process.execPath, [join(out, 'migrate.mjs'), 'up'], { cwd: out, env: { PATH: process.env.PATH ?? '', DATABASE_URL: url } });
      expect(stdout.trim().split('\n')).to.deep.equal(Object.keys(catalogMigrations).map((m) => `applied ${m}`));
    } finally {
      await postgres.dropDatabase(name);
    }
  });

  it('rotate.mjs answers status from an empty record', async () => {
    const { stdout } = await run(process.execPath, [join(out, 'rotate.mjs'), 'status', '--app', 'api', '--state-dir', out], { cwd: out });
    expect(JSON.parse(stdout)).to.deep.equal({ images: [], running: null });
  });

  it('rotate.mjs carries the host layout: it knows the apps and refuses others', async () => {
    const failure = await run(process.execPath, [join(out, 'rotate.mjs'), 'status', '--app', 'search', '--state-dir', out], { cwd: out }).then(
      () => undefined,
      (error: { stderr: string }) => error.stderr,
    );
    expect(failure).to.contain('expected one of api, web, got "search"');
  });
});
