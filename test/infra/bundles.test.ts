import * as pulumi from '@pulumi/pulumi';
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionArchive, PLACEHOLDER_MARKER } from '../../infra/bundles.ts';
import { runExclusive } from './fixture.ts';

describe('infra Lambda bundles', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'infra-bundles-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('packages a built bundle folder as a FileArchive', () => {
    const dir = join(root, 'dist', 'functions', 'image-batcher');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => {};\n');
    writeFileSync(join(dir, 'architecture.txt'), 'arm64\n');
    const archive = functionArchive('image-batcher', 'arm64', root) as pulumi.asset.FileArchive;
    expect(archive).to.be.instanceOf(pulumi.asset.FileArchive);
    return new Promise<void>((resolve) => {
      void archive.path.then((path) => {
        expect(path).to.equal(dir);
        resolve();
      });
    });
  });

  it('substitutes a labelled placeholder only under the test mocks', () =>
    runExclusive(async () => {
      await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs }, 'svg-marketplace', 'dev', false);
      const archive = functionArchive('preview-maker', 'arm64', root) as pulumi.asset.AssetArchive;
      expect(archive).to.be.instanceOf(pulumi.asset.AssetArchive);
      const assets = (await archive.assets) as Record<string, pulumi.asset.StringAsset>;
      expect(await assets['index.mjs']?.text).to.contain(PLACEHOLDER_MARKER).and.contain('npm run build:functions');
    }));

  it('fails with the build command when a bundle is missing outside the mocks', () =>
    runExclusive(async () => {
      // What `pulumi up` sees: a real (gRPC) monitor, here a stand-in that is not the MockMonitor.
      pulumi.runtime.setMockOptions({}, 'svg-marketplace', 'dev', false);
      expect(() => functionArchive('image-processor', 'arm64', root)).to.throw(/Lambda bundle for "image-processor" is missing at .*dist\/functions\/image-processor .*Run `npm run build:functions` first/);
    }));

  it('refuses a bundle built for another architecture than the stack runs, or one without its build record', () => {
    const dir = join(root, 'dist', 'functions', 'image-processor');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => {};\n');
    expect(() => functionArchive('image-processor', 'arm64', root)).to.throw(
      `Lambda bundle for "image-processor" at ${dir} was built for an unknown architecture; the stack runs arm64 (lambdaArchitecture). Run \`npm run build:functions -- --arch arm64\`.`,
    );
    writeFileSync(join(dir, 'architecture.txt'), 'x86_64\n');
    expect(() => functionArchive('image-processor', 'arm64', root)).to.throw(`was built for x86_64; the stack runs arm64 (lambdaArchitecture)`);
    expect(functionArchive('image-processor', 'x86_64', root)).to.be.instanceOf(pulumi.asset.FileArchive);
  });
});
