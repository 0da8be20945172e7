import * as pulumi from '@pulumi/pulumi';
import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type InfraConfig } from '../../infra/config.ts';
import { EPHEMERAL_STACK } from '../../infra/config.ts';
import { ephemeralStackConfig, readStackFile, readStackSettings, stackFile } from '../../scripts/plan/stack-config.ts';
import { runExclusive } from './fixture.ts';

/** Loads the config of a stack's committed file with overrides, as the program would read it. */
function load(stack: string, overrides: Record<string, unknown> = {}, drop: string[] = []): Promise<InfraConfig> {
  return runExclusive(async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs }, 'svg-marketplace', stack, false);
    const settings = readStackSettings(stack, overrides, undefined, EPHEMERAL_STACK.test(stack) ? ephemeralStackConfig(stack) : undefined);
    for (const key of drop) delete settings.values[key];
    pulumi.runtime.setAllConfig(settings.values, settings.secretKeys);
    return loadConfig();
  });
}

async function issuesOf(stack: string, overrides: Record<string, unknown> = {}, drop: string[] = []): Promise<string[]> {
  try {
    await load(stack, overrides, drop);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('infra config', () => {
  it('reads the committed dev and prod stacks with their shapes and removal policies', async () => {
    const dev = await load('dev');
    expect(dev).to.include({ shape: 'dev', removal: 'destroy', ephemeral: false, region: 'us-east-1', lambdaArchitecture: 'arm64' });
    expect(dev.functions['image-processor']).to.deep.equal({ memoryMb: 2048, timeoutSeconds: 60 });
    const prod = await load('prod');
    expect(prod).to.include({ shape: 'prod', removal: 'retain', logRetentionDays: 30 });
    expect(prod.wafBlockedUserAgents).to.deep.equal(['sqlmap', 'nikto']);
    const pr = await load('pr-42');
    expect(pr).to.include({ shape: 'dev', removal: 'destroy', ephemeral: true });
  });

  it('names the key in every error, nested keys with their path', async () => {
    const issues = await issuesOf('dev', {
      'svg-marketplace:functions': { imageProcessor: { memoryMb: 64, timeoutSeconds: 60 } },
      'svg-marketplace:previewDelaySeconds': 'soon',
      'svg-marketplace:logRetentionDays': 10,
      'svg-marketplace:lambdaArchitecture': 'arm',
    });
    expect(issues.join('\n')).to.contain('svg-marketplace:functions.imageProcessor.memoryMb');
    expect(issues.join('\n')).to.contain('svg-marketplace:previewDelaySeconds');
    expect(issues.join('\n')).to.contain('svg-marketplace:logRetentionDays: must be one of');
    expect(issues.join('\n')).to.contain('svg-marketplace:lambdaArchitecture');
    expect(issues).to.have.length(4);
  });

  it('validates the pipeline stall window in seconds: a whole number from 60 to 86,400, 900 by default', async () => {
    const one = async (value: unknown) => (await issuesOf('dev', { 'svg-marketplace:previewStallSeconds': value })).join('\n');
    expect(await one(30)).to.match(/^svg-marketplace:previewStallSeconds: .*60/);
    expect(await one(90.5)).to.match(/^svg-marketplace:previewStallSeconds: /);
    expect(await one(86_401)).to.match(/^svg-marketplace:previewStallSeconds: /);
    expect((await load('dev', { 'svg-marketplace:previewStallSeconds': 600 })).previewStallSeconds).to.equal(600);
    expect((await load('dev')).previewStallSeconds).to.equal(900);
  });

  it('rejects unknown keys, so a typo cannot pass silently', async () => {
    expect(await issuesOf('dev', { 'svg-marketplace:previewSampelSize': 3 })).to.deep.equal(['svg-marketplace:previewSampelSize: unknown setting']);
  });

  it('requires the region, prod\'s Elasticsearch secret and, for prod, an HTTPS certificate; no database password (generated per stack, or RDS\'s own)', async () => {
    const dev = await load('dev');
    expect(dev.secrets.databasePassword).to.equal(undefined);
    const prod = await issuesOf('prod', {}, ['svg-marketplace:elasticsearchUrl', 'svg-marketplace:apiCertificateArn', 'aws:region']);
    expect(prod.map((i) => i.split(':').slice(0, 2).join(':'))).to.have.members(['svg-marketplace:apiCertificateArn', 'svg-marketplace:elasticsearchUrl', 'aws:region']);
  });

  it('refuses a configured database password Lightsail or RDS would refuse, saying why and how to make one', async () => {
    const hint = '; generate one with: pulumi config set --secret databasePassword "$(openssl rand -hex 32)"';
    const check = (password: string) => issuesOf('dev', { 'svg-marketplace:databasePassword': password });
    expect(await check('abc/def+ghijklmnopqrstu==')).to.deep.equal([`svg-marketplace:databasePassword: must not contain "/" (Lightsail and RDS refuse them)${hint}`]);
    expect(await check('user@host "quoted" pass')).to.deep.equal([`svg-marketplace:databasePassword: must not contain "\\"", "@", spaces (Lightsail and RDS refuse them)${hint}`]);
    expect(await check('short')).to.deep.equal([`svg-marketplace:databasePassword: must be 16–128 characters long (it has 5)${hint}`]);
    expect(await check('a'.repeat(129))).to.deep.equal([`svg-marketplace:databasePassword: must be 16–128 characters long (it has 129)${hint}`]);
    expect(await check('tab\there-is-a-long-one')).to.deep.equal([`svg-marketplace:databasePassword: must be printable ASCII without tabs or newlines${hint}`]);
    // What the README's recipe makes: 64 hex digits.
    const ok = await load('dev', { 'svg-marketplace:databasePassword': 'c0ffee'.repeat(10) + 'beef' });
    expect(pulumi.Output.isInstance(ok.secrets.databasePassword)).to.equal(true);
    // Prod's master password is RDS's own (Secrets Manager): one in the config would never be used.
    expect(await issuesOf('prod', { 'svg-marketplace:databasePassword': 'c0ffee'.repeat(10) + 'beef' })).to.deep.equal([
      'svg-marketplace:databasePassword: not used by the prod shape: RDS keeps its master password in Secrets Manager; remove it (pulumi config rm databasePassword)',
    ]);
  });

  it('a pr-<n> stack runs with dev\'s settings from the file written on every run; without one the plan refuses to guess', async () => {
    const pr = ephemeralStackConfig('pr-42');
    expect(pr.config).to.deep.equal(readStackFile(stackFile('dev')).config);
    expect(() => readStackSettings('pr-42')).to.throw(/^No config for stack "pr-42": .*Pulumi\.pr-42\.yaml does not exist\. pr-42 gets it from dev's on every run: npx tsx scripts\/plan\/pr-stack\.ts pr-42$/);
    expect(() => readStackSettings('staging')).to.throw('No config for stack "staging"');
    expect(() => ephemeralStackConfig('dev')).to.throw('"dev" is not an ephemeral stack name');
    // Values encrypted for dev's key cannot be copied: they belong in an ESC environment dev imports.
    const root = mkdtempSync(join(tmpdir(), 'pr-stack-'));
    writeFileSync(join(root, 'Pulumi.dev.yaml'), 'environment:\n  - svg-marketplace/dev\nconfig:\n  aws:region: eu-west-1\n  svg-marketplace:opsEmail:\n    secure: v1:abc\n');
    expect(() => ephemeralStackConfig('pr-3', root)).to.throw('Pulumi.dev.yaml holds encrypted values (svg-marketplace:opsEmail) that only dev can decrypt: move them to an ESC environment');
    writeFileSync(join(root, 'Pulumi.dev.yaml'), 'environment:\n  - svg-marketplace/dev\nconfig:\n  aws:region: eu-west-1\n');
    expect(ephemeralStackConfig('pr-3', root)).to.deep.equal({ environment: ['svg-marketplace/dev'], config: { 'aws:region': 'eu-west-1' } });
  });

  it('needs a commit imageTag, which the stack files do not keep (the deploy sets it), and the API domain for prod', async () => {
    expect(await issuesOf('dev', {}, ['svg-marketplace:imageTag'])).to.deep.equal([
      'svg-marketplace:imageTag: required: the commit tag of the images to run (pulumi config set imageTag "$(pulumi stack output imageTag)")',
    ]);
    expect((await issuesOf('dev', { 'svg-marketplace:imageTag': 'latest' })).join('\n')).to.contain('svg-marketplace:imageTag: must be a commit tag');
    expect(await issuesOf('prod', {}, ['svg-marketplace:apiDomainName'])).to.deep.equal([
      'svg-marketplace:apiDomainName: required for the prod shape (the name apiCertificateArn is issued for)',
    ]);
    expect((await load('dev', { 'svg-marketplace:imageTag': '3f2c1a9e' })).imageTag).to.equal('3f2c1a9e');
  });

  it('keeps ephemeral stacks destroyable and in dev shape', async () => {
    const issues = await issuesOf('pr-3', { 'svg-marketplace:removal': 'retain', 'svg-marketplace:shape': 'prod', 'svg-marketplace:apiCertificateArn': 'arn:aws:acm:us-east-1:123456789012:certificate/x' , 'svg-marketplace:elasticsearchUrl': 'https://x' });
    expect(issues.join('\n')).to.contain('svg-marketplace:shape: ephemeral stack "pr-3" must take dev\'s shape');
    expect(issues.join('\n')).to.contain('svg-marketplace:removal: ephemeral stack "pr-3" must be fully destroyable');
  });

  it('insists CloudFront certificates come from us-east-1 and block lists hold real addresses', async () => {
    const certificate = await issuesOf('prod', {
      'svg-marketplace:webDomainName': 'www.example.com',
      'svg-marketplace:webCertificateArn': 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
    });
    expect(certificate).to.deep.equal(['svg-marketplace:webCertificateArn: CloudFront only accepts certificates from us-east-1']);
    const issues = await issuesOf('prod', { 'svg-marketplace:wafBlockedIps': ['198.51.100.0/24', '300.1.1.1', '2001:db8::/129'] });
    expect(issues.filter((i) => i.startsWith('svg-marketplace:wafBlockedIps.'))).to.deep.equal([
      'svg-marketplace:wafBlockedIps.1: must be an IPv4 or IPv6 address or CIDR block',
      'svg-marketplace:wafBlockedIps.2: must be an IPv4 or IPv6 address or CIDR block',
    ]);
  });

  it('keeps a configured database password a secret', async () => {
    const dev = await load('dev', { 'svg-marketplace:databasePassword': { secure: 'v1:encrypted' } });
    expect(pulumi.Output.isInstance(dev.secrets.databasePassword)).to.equal(true);
    const secret = await new Promise<boolean>((resolve) => {
      void (dev.secrets.databasePassword as unknown as { isSecret: Promise<boolean> }).isSecret.then(resolve);
    });
    expect(secret).to.equal(true);
  });
});
