import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../infra/bundles.ts';

const run = promisify(execFile);

interface ProjectFile {
  name: string;
  main: string;
  runtime: { name: string; options: { typescript: boolean; nodeargs: string } };
}

describe('Pulumi.yaml', () => {
  const project = parse(readFileSync(join(REPO_ROOT, 'Pulumi.yaml'), 'utf8')) as ProjectFile;

  it('names the project and points at infra/ with the nodejs runtime', () => {
    expect(project.name).to.equal('svg-marketplace');
    expect(project.runtime.name).to.equal('nodejs');
    expect(project.main).to.equal('infra/');
    // Pulumi's own ts-node cannot load ESM with .ts specifiers; node loads it through nodeargs.
    expect(project.runtime.options.typescript).to.equal(false);
  });

  it('loads the entry module with exactly the node arguments `pulumi up` uses', async () => {
    // Pulumi resolves `main: infra/` to infra/index.ts and imports it; do the same here.
    const entry = pathToFileURL(join(REPO_ROOT, project.main, 'index.ts')).href;
    const script = `const m = await import(${JSON.stringify(entry)}); console.log(JSON.stringify({ keys: Object.keys(m), type: typeof m.default }));`;
    const args = [...project.runtime.options.nodeargs.split(/\s+/).filter(Boolean), '--input-type=module', '-e', script];
    const { stdout } = await run(process.execPath, args, { cwd: REPO_ROOT });
    // Pulumi refuses modules with both a default and named exports; it calls the default.
    expect(JSON.parse(stdout.trim())).to.deep.equal({ keys: ['default'], type: 'function' });
  });

  it('fails without the loader, proving the node arguments are what make it load', async () => {
    const entry = pathToFileURL(join(REPO_ROOT, project.main, 'index.ts')).href;
    const script = `await import(${JSON.stringify(entry)});`;
    // Node 20 has no TypeScript support of its own (and later Nodes reject the parameter properties used here).
    const attempt = run(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
    let failed = false;
    try {
      await attempt;
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
  });
});
