/**
 * The whole marketplace on loopback, as it runs in production: the ingestion pipeline (PostgreSQL,
 * s3rver, fauxqs, the three functions), the API, the storefront built and laid out exactly as its
 * Docker image, and nginx in front of all of it on one origin.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi, type RunningApi } from '../../app/api/start.ts';
import { freePort, startNginx, type RunningNginx } from '../../app/nginx/run.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../scripts/local/aws-resources.ts';
import { startS3Gate } from '../../scripts/local/s3-gate-server.ts';
import { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from '../../scripts/local/pipeline.ts';
import { startSesStandIn, type SesStandIn } from '../../scripts/local/ses-standin.ts';
import { startStripeStandIn, type StripeStandIn } from '../../scripts/local/stripe-standin.ts';
import { assembleRuntime, loadImage, removeLayout, runBuildStage, startRuntime, type BuildResult, type RunningImage } from '../docker/image.ts';

export interface Marketplace {
  /** The public origin (nginx). */
  url: string;
  pipeline: LocalPipeline;
  api: RunningApi;
  webBuild: BuildResult;
  /** Plays Stripe's servers and hosted pages (scripts/local/stripe-standin.ts). */
  stripe: StripeStandIn;
  /** The SES stand-in the API mails through: sign-ups verify their address with the link it received. */
  ses: SesStandIn;
  stop(): Promise<void>;
}

/** The newest verification link mailed to `email` (uploading and publishing need a confirmed address). */
export function verificationLink(market: Marketplace, email: string): string {
  const mail = market.ses.mails.findLast((sent) => sent.to.includes(email) && sent.links.some((link) => link.includes('/verify-email?token=')));
  if (!mail) throw new Error(`no verification mail to ${email}`);
  return mail.links.find((link) => link.includes('/verify-email?token='))!;
}

/** Confirms the address as its owner would, through the API, with the token of the mailed link. */
export async function verifyAddress(market: Marketplace, email: string): Promise<void> {
  const token = new URL(verificationLink(market, email)).searchParams.get('token');
  const response = await fetch(`${market.url}/api/auth/verify-email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  if (response.status !== 200) throw new Error(`verifying ${email}: ${response.status} ${await response.text()}`);
}

/**
 * `directS3`: the API reaches the S3 emulator directly, not through nginx's /s3 (which passes only what
 * browsers send there): for tests whose API reads and writes objects itself (licensed set ZIPs) and whose
 * browser only follows presigned download links.
 */
export async function startMarketplace(
  options: {
    previewDelaySeconds?: number;
    directS3?: boolean;
    /** Pipeline settings for tests of failures: short visibility timeouts, faults at the functions' clients. */
    pipeline?: Pick<LocalPipelineOptions, 'queueSettings' | 'instrument' | 'previewRetryDelaySeconds'>;
  } = {},
): Promise<Marketplace> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'marketplace-'));
  const stops: Array<() => Promise<void>> = [async () => rm(dataDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const webImage = await loadImage('app/web/Dockerfile');
    const webBuild = await runBuildStage('web', webImage);

    const pipeline: LocalPipeline = await startLocalPipeline({ ...options.pipeline, dataDir, previewDelaySeconds: options.previewDelaySeconds ?? 1 });
    stops.push(() => pipeline.stop());

    // The API must know the public origin (asset URLs, the presigned POST's URL) before nginx starts.
    const publicPort = await freePort();
    const origin = `http://127.0.0.1:${publicPort}`;
    const s3Upstream = new URL(pipeline.services.s3Endpoint).host;
    // Stripe's hosted pages live on Stripe's own origin: the browser goes to the stand-in directly.
    const stripe = await startStripeStandIn({ secretKey: 'sk_test_browser', webhookSecret: 'whsec_browser' });
    stops.push(() => stripe.close());
    const ses = await startSesStandIn();
    stops.push(() => ses.close());

    const api: RunningApi = await startApi(
      {
        ...pipeline.services.functionEnv,
        PORT: '0',
        HOST: '127.0.0.1',
        ASSETS_BASE_URL: `${origin}/assets`,
        // The browser POSTs the ZIP to nginx's /s3/<uploads bucket>, which passes it to the emulator.
        AWS_ENDPOINT_URL_S3: options.directS3 ? pipeline.services.s3Endpoint : `${origin}/s3`,
        // The API's own reads and writes (originals, customised renders) go to the emulator directly.
        S3_INTERNAL_ENDPOINT: pipeline.services.s3Endpoint,
        LOG_LEVEL: 'warn',
        STRIPE_SECRET_KEY: 'sk_test_browser',
        STRIPE_WEBHOOK_SECRET: 'whsec_browser',
        STRIPE_API_BASE: stripe.url,
        PUBLIC_URL: origin,
        MAIL_FROM: 'Marketplace <no-reply@marketplace.test>',
        AWS_ENDPOINT_URL_SESV2: ses.url,
      },
      {},
    );
    stops.push(() => api.close());
    stripe.webhookUrl = `${origin}/api/stripe/webhook`;

    const layout = await assembleRuntime(webImage);
    stops.push(() => removeLayout(layout));
    const webPort = await freePort();
    const web: RunningImage = await startRuntime(webImage, layout, {
      PORT: String(webPort),
      HOSTNAME: '127.0.0.1',
      API_INTERNAL_URL: api.url,
    });
    stops.push(() => web.stop());

    // s3rver checks no POST policy: nginx passes uploads to it through the gate that does.
    const s3Gate = await startS3Gate({ s3: pipeline.services.s3Endpoint, s3Credentials: { ...LOCAL_CREDENTIALS, region: LOCAL_REGION } });
    stops.push(() => s3Gate.close());
    const nginx: RunningNginx = await startNginx({
      port: publicPort,
      apiUpstream: new URL(api.url).host,
      webUpstream: `127.0.0.1:${webPort}`,
      storage: { upstream: s3Upstream, assetsBucket: LOCAL_BUCKETS.assets, uploadsBucket: LOCAL_BUCKETS.uploads, uploadGate: s3Gate.address },
      workerProcesses: 1,
    });
    stops.push(() => nginx.stop());

    return { url: origin, pipeline, api, webBuild, stripe, ses, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
