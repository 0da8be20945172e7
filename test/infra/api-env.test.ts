/**
 * The API's env file as each stack's host gets it (under mocks, secrets as placeholders): prod's boot
 * script writes it, a dev host's is rendered by the deploy from the stack's `devHostSecrets` output,
 * parsed with the schema the API validates at start: a variable the stack forgets or misnames
 * fails here, not on a host at boot. Prod's secret lines run under bash with `aws ssm` answering
 * from the stack's own SecureString parameters, so a wrong parameter name fails too.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv, promisify } from 'node:util';
import { apiEnvSchema } from '../../app/api/config.ts';
import { HOST_APPS } from '../../infra/host-layout.ts';
import { shellQuote } from '../../infra/hosts.ts';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { OFFLINE_SECRET } from '../../scripts/plan/stack-config.ts';
import { apiEnvFile, bootScript, bucketName, customRun, ofType, one, stackRun, TYPES, writtenFile } from './fixture.ts';

const run = promisify(execFile);
const ENV_FILE = HOST_APPS.api.envFile;

/** Variables the env file may hold that the API's schema does not list: read by the AWS SDK, or (EVENTS_TOPIC_ARN) not read by the API today. */
const READ_OUTSIDE_SCHEMA = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'EVENTS_TOPIC_ARN'];

/** The script's lines that append secrets to the env file, run with `aws ssm get-parameter` served from the stack's parameters. */
async function appendedSecrets(script: string, stack: OfflineRun): Promise<string> {
  const lines = script.split('\n').filter((line) => line.endsWith(`>> ${ENV_FILE}`));
  if (lines.length === 0) return '';
  const parameters = ofType(stack, 'aws:ssm/parameter:Parameter').filter((p) => p.inputs['type'] === 'SecureString');
  const cases = parameters.map((p) => `${shellQuote(String(p.inputs['name']))}) printf '%s\\n' ${shellQuote(String(p.inputs['value']))} ;;`).join('\n');
  const dir = await mkdtemp(join(tmpdir(), 'api-env-'));
  try {
    const file = join(dir, 'api.env');
    await writeFile(file, '');
    const fakeAws = `aws() { local name=; while [ $# -gt 0 ]; do [ "$1" = --name ] && name=$2; shift; done; case "$name" in\n${cases}\n*) echo "no parameter $name" >&2; return 1 ;; esac; }`;
    const body = lines.map((line) => line.slice(0, -ENV_FILE.length) + shellQuote(file)).join('\n');
    await run('bash', ['-c', `set -euo pipefail\n${fakeAws}\n${body}`]);
    return await readFile(file, 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the API container reads from `--env-file` on this stack's host. */
async function renderedApiEnv(stack: OfflineRun): Promise<Record<string, string>> {
  // Dev hosts: the deploy writes the whole file over SSH from the stack's `devHostSecrets` output.
  if (stack.outputs['shape'] === 'dev') return parseEnv(apiEnvFile(stack)) as Record<string, string>;
  const script = bootScript(stack);
  return parseEnv(writtenFile(script, ENV_FILE) + (await appendedSecrets(script, stack))) as Record<string, string>;
}

function parsed(env: Record<string, string>) {
  const result = apiEnvSchema.safeParse(env);
  if (!result.success) throw new Error(`apiEnvSchema rejects the env file: ${result.error.message}`);
  return result.data;
}

/** What the mocks compute for a resource (the provider's outputs offline). */
const outputs = (stack: OfflineRun, r: PlannedResource) => mockState(r.type, r.name, r.inputs, r.region ?? stack.region);
const cdnUrl = (stack: OfflineRun, suffix: string) => `https://${String(outputs(stack, one(stack, TYPES.cloudfront, suffix))['domainName'])}`;

describe('the API env file each stack writes (offline, under mocks)', () => {
  for (const name of ['dev', 'pr-7', 'prod'] as const) {
    it(`${name}: parses with apiEnvSchema and sets nothing the API does not read`, async () => {
      const stack = await stackRun(name);
      const env = await renderedApiEnv(stack);
      const config = parsed(env);
      const known = [...Object.keys(apiEnvSchema.shape), ...READ_OUTSIDE_SCHEMA];
      expect(known, 'variables the API does not read').to.include.members(Object.keys(env));
      expect(config).to.include({
        UPLOADS_BUCKET: bucketName(name, 'uploads'),
        ASSETS_BUCKET: bucketName(name, 'assets'),
        DOWNLOADS_BUCKET: bucketName(name, 'downloads'),
        HOST: '0.0.0.0',
        PORT: HOST_APPS.api.containerPort,
      });
      // Set explicitly on every stack, not left to the API's defaults.
      for (const variable of ['ASSETS_BASE_URL', 'COOKIE_SECURE', 'SEARCH_BACKEND', 'DATABASE_URL', 'LOG_LEVEL', 'CURSOR_SECRET']) expect(env, variable).to.have.property(variable);
    });
  }

  for (const name of ['dev', 'pr-7'] as const) {
    it(`${name}: previews through the stack's own CloudFront distribution, plain-HTTP cookies, PostgreSQL search`, async () => {
      const stack = await stackRun(name);
      const config = parsed(await renderedApiEnv(stack));
      expect(config.ASSETS_BASE_URL).to.equal(cdnUrl(stack, '-assets-cdn'));
      expect(String(stack.outputs['webUrl'])).to.match(/^http:/);
      expect(config.COOKIE_SECURE).to.equal(false);
      expect(config.SEARCH_BACKEND).to.equal('postgres');
      expect(config.LOG_LEVEL).to.equal('debug');
    });
  }

  it('prod: previews on the storefront distribution, Secure cookies, Elasticsearch with its secret URL from SSM', async () => {
    const stack = await stackRun('prod');
    const script = bootScript(stack);
    const config = parsed(await renderedApiEnv(stack));
    expect(config.ASSETS_BASE_URL).to.equal(cdnUrl(stack, '-cdn'));
    expect(config.COOKIE_SECURE).to.equal(true);
    expect(config).to.include({ SEARCH_BACKEND: 'elasticsearch', ELASTICSEARCH_INDEX: 'products', ELASTICSEARCH_URL: `https://elastic:${OFFLINE_SECRET}@search.example.invalid:443` });
    // The API's own login with its generated password (the mocks' RandomPassword result), not the master user.
    expect(config.DATABASE_URL).to.match(/^postgres:\/\/api_login:mockpassword[0-9a-f]{8}0+@/);
    // Secrets never travel in the (unencrypted) user data; without an API key in config there is none to pass.
    expect(script).to.not.contain(OFFLINE_SECRET).and.not.contain('mockpassword');
    expect(config.ELASTICSEARCH_API_KEY).to.equal(undefined);
  });

  it('prod: an Elasticsearch API key in config reaches the API through SSM, the API may read it, Logstash writes the index it searches', async () => {
    const stack = await customRun('prod', { config: { 'svg-marketplace:elasticsearchApiKey': 'api-key-placeholder', 'svg-marketplace:elasticsearchIndex': 'products-v2' } });
    const config = parsed(await renderedApiEnv(stack));
    expect(config).to.include({ ELASTICSEARCH_API_KEY: 'api-key-placeholder', ELASTICSEARCH_INDEX: 'products-v2' });
    // Logstash writes the index the API searches.
    expect(String(one(stack, TYPES.ec2, '-logstash').inputs['userData'])).to.match(/^ES_INDEX=products-v2$/m);
    expect(bootScript(stack)).to.not.contain('api-key-placeholder');
    const parameter = ofType(stack, 'aws:ssm/parameter:Parameter').find((p) => p.inputs['value'] === 'api-key-placeholder');
    if (!parameter) throw new Error('no SSM parameter holds the API key');
    const policy = JSON.parse(String(one(stack, TYPES.rolePolicy, '-api-access').inputs['policy'])) as { Statement: { Sid: string; Resource: string[] }[] };
    expect(policy.Statement.find((s) => s.Sid === 'ReadApiSecrets')?.Resource).to.include(outputs(stack, parameter)['arn']);
  });

  for (const name of ['dev', 'prod'] as const) {
    // Dev and pr-<n> serve previews from the assets CDN; prod from the storefront's distribution.
    const distributionSuffix = name === 'prod' ? '-cdn' : '-assets-cdn';

    it(`${name}: the API gets the pipeline's queues (family-preview rebuilds, retries) and the distribution serving ASSETS_BASE_URL (invalidation)`, async () => {
      const stack = await stackRun(name);
      const config = parsed(await renderedApiEnv(stack));
      const previewQueue = outputs(stack, one(stack, TYPES.queue, `svg-marketplace-${name}-preview-maker`));
      const imageQueue = outputs(stack, one(stack, TYPES.queue, `svg-marketplace-${name}-image-processor`));
      expect(config.PREVIEW_QUEUE_URL).to.equal(previewQueue['url']).and.match(new RegExp(`/svg-marketplace-${name}-preview-maker$`));
      expect(config.IMAGE_QUEUE_URL).to.equal(imageQueue['url']).and.match(new RegExp(`/svg-marketplace-${name}-image-processor$`));
      // The pipeline's own functions queue to the same URLs.
      const batcher = (one(stack, TYPES.fn, '-image-batcher').inputs['environment'] as { variables: Record<string, string> }).variables;
      expect(batcher).to.include({ PREVIEW_QUEUE_URL: config.PREVIEW_QUEUE_URL, IMAGE_QUEUE_URL: config.IMAGE_QUEUE_URL });
      const distribution = one(stack, TYPES.cloudfront, distributionSuffix);
      expect(cdnUrl(stack, distributionSuffix)).to.equal(config.ASSETS_BASE_URL);
      expect(config.CLOUDFRONT_DISTRIBUTION_ID).to.match(/^E[0-9A-F]{8}$/);
      expect(outputs(stack, distribution)['arn']).to.equal(`arn:aws:cloudfront::123456789012:distribution/${config.CLOUDFRONT_DISTRIBUTION_ID}`);
    });

    it(`${name}: the API may send to exactly those two queues and invalidate exactly that distribution`, async () => {
      const stack = await stackRun(name);
      const policy = name === 'prod' ? one(stack, TYPES.rolePolicy, '-api-access') : one(stack, TYPES.userPolicy, '-host-access');
      const statements = (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Sid: string; Action: string[] }[] }).Statement;
      const queueArn = (suffix: string) => outputs(stack, one(stack, TYPES.queue, `svg-marketplace-${name}-${suffix}`))['arn'];
      const distributionArn = outputs(stack, one(stack, TYPES.cloudfront, distributionSuffix))['arn'];
      expect(queueArn('preview-maker')).to.match(new RegExp(`^arn:aws:sqs:[a-z0-9-]+:123456789012:svg-marketplace-${name}-preview-maker$`));
      expect(statements.filter((s) => s.Action.some((a) => a.startsWith('sqs:') || a.startsWith('cloudfront:')))).to.deep.equal([
        { Sid: 'QueuePipelineJobs', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [queueArn('preview-maker'), queueArn('image-processor')] },
        { Sid: 'InvalidateWithdrawnPreviews', Effect: 'Allow', Action: ['cloudfront:CreateInvalidation'], Resource: [distributionArn] },
      ]);
    });

    it(`${name}: the API may HeadBucket the uploads bucket (/api/ready): s3:ListBucket on that bucket alone`, async () => {
      const stack = await stackRun(name);
      const policy = name === 'prod' ? one(stack, TYPES.rolePolicy, '-api-access') : one(stack, TYPES.userPolicy, '-host-access');
      const statements = (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Action: string[]; Resource: string[]; Condition?: unknown }[] }).Statement;
      const unconditional = statements.filter((s) => s.Action.includes('s3:ListBucket') && s.Condition === undefined);
      expect(unconditional).to.deep.equal([{ Sid: 'CheckUploadsBucket', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${bucketName(name, 'uploads')}`] }]);
    });

    it(`${name}: the API writes to the downloads bucket only customised renders (custom/)`, async () => {
      const stack = await stackRun(name);
      const policy = name === 'prod' ? one(stack, TYPES.rolePolicy, '-api-access') : one(stack, TYPES.userPolicy, '-host-access');
      const statements = (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Action: string[]; Resource: string[] }[] }).Statement;
      const writes = statements.filter((s) => s.Action.includes('s3:PutObject') && s.Resource.some((r) => r.includes('-downloads')));
      expect(writes).to.deep.equal([
        { Sid: 'StoreCustomisedRenders', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${bucketName(name, 'downloads')}/custom/*`] },
      ]);
    });

    it(`${name}: the API may list, copy and delete previews (withdrawing a hidden set's), under previews/ only`, async () => {
      const stack = await stackRun(name);
      const policy = name === 'prod' ? one(stack, TYPES.rolePolicy, '-api-access') : one(stack, TYPES.userPolicy, '-host-access');
      const statements = (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Sid: string }[] }).Statement;
      const assets = `arn:aws:s3:::${bucketName(name, 'assets')}`;
      expect(statements.filter((s) => s.Sid === 'ListPreviews' || s.Sid === 'MovePreviews')).to.deep.equal([
        { Sid: 'ListPreviews', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [assets], Condition: { StringLike: { 's3:prefix': ['previews/*'] } } },
        { Sid: 'MovePreviews', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [`${assets}/previews/*`] },
      ]);
    });
  }
});
