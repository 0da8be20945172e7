/**
 * The whole marketplace on this machine, as `npm start` runs it: the ingestion pipeline (PostgreSQL,
 * S3 and SQS/SNS emulators, the three functions), the API, the storefront, and a front door that puts
 * them on one origin.
 */
import { freePort } from '../../app/nginx/run.ts';
import { startApi, type RunningApi } from '../../app/api/start.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_QUEUES, LOCAL_REGION } from './aws-resources.ts';
import { startFrontDoor, type FrontDoor } from './front-door.ts';
import { startSesStandIn } from './ses-standin.ts';
import { startStripeStandIn } from './stripe-standin.ts';
import { stripeSettingsFrom } from '../../core/selling/stripe-gateway.ts';
import { startLocalPipeline, type LocalPipeline } from './pipeline.ts';
import { ensureWebBuild, startWeb, type RunningWeb } from './web.ts';

export interface LocalMarketplaceOptions {
  dataDir: string;
  /** The public port (storefront and `/api`). */
  port: number;
  host?: string;
  persistent?: boolean;
  previewDelaySeconds?: number;
  logLevel?: string;
  log?: (line: string) => void;
}

/** Keys the API and the stand-in share locally; they open nothing at Stripe. */
export const LOCAL_STRIPE_KEYS = { secretKey: 'sk_test_local_standin', webhookSecret: 'whsec_local_standin' } as const;

export interface LocalMarketplace {
  url: string;
  pipeline: LocalPipeline;
  api: RunningApi;
  web: RunningWeb;
  frontDoor: FrontDoor;
  stop(): Promise<void>;
}

export async function startLocalMarketplace(options: LocalMarketplaceOptions): Promise<LocalMarketplace> {
  const log = options.log ?? (() => undefined);
  const host = options.host ?? '127.0.0.1';
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    await assertPortFree(host, options.port);
    const built = await ensureWebBuild(log);
    if (built > 0) log(`  storefront built in ${built.toFixed(0)} s`);

    log('Starting PostgreSQL, the S3 emulator and the SQS/SNS emulator…');
    const pipeline = await startLocalPipeline({
      dataDir: options.dataDir,
      persistent: options.persistent ?? true,
      previewDelaySeconds: options.previewDelaySeconds ?? 3,
      logLevel: options.logLevel ?? 'info',
    });
    stops.push(() => pipeline.stop());

    const origin = `http://${host === '0.0.0.0' ? 'localhost' : host}:${options.port}`;
    // Real Stripe when both keys are in the environment; otherwise the stand-in plays Stripe's servers.
    const realStripe = stripeSettingsFrom(process.env);
    const standIn = realStripe ? undefined : await startStripeStandIn({ ...LOCAL_STRIPE_KEYS, publicUrl: origin });
    if (standIn) stops.push(() => standIn.close());
    const stripeEnv = realStripe
      ? { STRIPE_SECRET_KEY: realStripe.secretKey, STRIPE_WEBHOOK_SECRET: realStripe.webhookSecret! }
      : { STRIPE_SECRET_KEY: LOCAL_STRIPE_KEYS.secretKey, STRIPE_WEBHOOK_SECRET: LOCAL_STRIPE_KEYS.webhookSecret, STRIPE_API_BASE: standIn!.url };
    log(realStripe ? 'Payments: Stripe (STRIPE_SECRET_KEY is set)' : 'Payments: the local Stripe stand-in (no card is charged)');
    // Account mails go to the SES stand-in, shown at /_local/outbox: the API's SES code path, nothing leaves.
    const ses = await startSesStandIn();
    stops.push(() => ses.close());
    log('Starting the API…');
    const api = await startApi({
      ...pipeline.services.functionEnv,
      // As deployed: the API logs in as its own role (migration 0037), not as the master user.
      DATABASE_URL: pipeline.componentUrls.api,
      ...stripeEnv,
      PUBLIC_URL: origin,
      PLATFORM_COMMISSION_PERCENT: process.env.PLATFORM_COMMISSION_PERCENT ?? '30',
      HOST: '127.0.0.1',
      PORT: '0',
      // Browsers reach S3 through the front door (one origin, no CORS), and so do the API's presigned URLs.
      AWS_ENDPOINT_URL_S3: `${origin}/s3`,
      // The API's own object reads and writes (Copy SVG, customised renders) go to the emulator directly.
      S3_INTERNAL_ENDPOINT: pipeline.services.s3Endpoint,
      ASSETS_BASE_URL: `${origin}/assets`,
      PUBLIC_ORIGIN: origin,
      MAIL_FROM: 'Marketplace <no-reply@marketplace.local>',
      AWS_ENDPOINT_URL_SESV2: ses.url,
      LOG_LEVEL: options.logLevel ?? 'info',
    });
    stops.push(() => api.close());
    if (standIn) standIn.webhookUrl = `${api.url}/api/stripe/webhook`;

    log('Starting the storefront…');
    const web = await startWeb({ port: await freePort(), apiUrl: api.url });
    stops.push(() => web.stop());

    const frontDoor = await startFrontDoor({
      host,
      port: options.port,
      api: api.url,
      web: web.url,
      s3: pipeline.services.s3Endpoint,
      assetsBucket: LOCAL_BUCKETS.assets,
      s3Credentials: { ...LOCAL_CREDENTIALS, region: LOCAL_REGION },
      pipelineStatus: () => pipelineStatus(pipeline),
      stripeStandIn: standIn?.url,
      sesStandIn: ses.url,
    });
    stops.push(() => frontDoor.close());

    return { url: frontDoor.url, pipeline, api, web, frontDoor, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What a developer wants to see of the pipeline: each queue's messages and what sits in the DLQs. */
export function pipelineStatus(pipeline: LocalPipeline) {
  const { fauxqs } = pipeline.services;
  const queue = (name: string) => {
    const state = fauxqs.inspectQueue(name);
    if (!state) return null;
    return {
      name,
      ready: state.messages.ready.length,
      delayed: state.messages.delayed.length,
      inFlight: state.messages.inflight.map(({ message, visibilityDeadline }) => ({
        body: safeJson(message.body),
        visibleAgainAt: new Date(visibilityDeadline).toISOString(),
      })),
    };
  };
  const deadLetters = (name: string) =>
    [...(fauxqs.inspectQueue(name)?.messages.ready ?? [])].map((message) => ({
      body: safeJson(message.body),
      reason: message.messageAttributes?.reason?.StringValue ?? '(redriven after too many receives; see the logs)',
    }));
  return {
    queues: Object.values(LOCAL_QUEUES).map((q) => ({ ...queue(q.name), deadLetter: { name: q.deadLetterName, messages: deadLetters(q.deadLetterName) } })),
    busy: pipeline.busy(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function assertPortFree(host: string, port: number): Promise<void> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} is busy; start with PORT=<another port> npm start`) : error),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
