import { SQSClient } from '@aws-sdk/client-sqs';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/pipeline/environment.ts';
import { migrateToLatest } from '../../core/catalog/index.ts';
import { createLogger, type Logger } from '../../core/log.ts';
import { createImageBatcherHandler } from '../../functions/image-batcher/handler.ts';
import { createImageProcessorHandler } from '../../functions/image-processor/handler.ts';
import { createPreviewMakerHandler } from '../../functions/preview-maker/handler.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_QUEUES, LOCAL_REGION } from './aws-resources.ts';
import {
  routeObjectCreated,
  startEventSourceMapping,
  type BatchReport,
  type EventRule,
  type EventSourceMapping,
} from './lambda-runtime.ts';
import { ensureLocalComponentLogins, type ComponentUrls } from './component-logins.ts';
import { startLocalServices, type LocalServices, type StartLocalServicesOptions } from './services.ts';

export interface LocalPipelineOptions extends StartLocalServicesOptions {
  /** The watchdog's first delay after a batch (120 s deployed); sets finish when their last image settles. */
  previewDelaySeconds?: number;
  previewRetryDelaySeconds?: number;
  /** The watchdog's stall window (900 s deployed by default). */
  previewStallSeconds?: number;
  previewSampleSize?: number;
  logLevel?: string;
  /**
   * Called with each function's runtime as it is built, before it handles anything: tests add middleware to
   * its S3 or SQS client there (a crash right after a write, every message sent twice).
   */
  instrument?: (functionName: PipelineFunctionName, runtime: PipelineRuntime) => void;
  /** Told after every batch either event source mapping handled. */
  onBatch?: (queue: 'image' | 'preview', report: BatchReport) => void;
}

export type PipelineFunctionName = 'local' | 'image-batcher' | 'image-processor' | 'preview-maker';

export interface LocalPipeline {
  services: LocalServices;
  /** A runtime with the same clients the functions use, for the CLI and tests to read and write (as the master user). */
  runtime: PipelineRuntime;
  /**
   * Each component's login (migration 0037's roles), as deployed: the functions connect as `pipeline_login`;
   * the API and the payout job started beside the pipeline should use `api` and `payouts`.
   */
  componentUrls: ComponentUrls;
  /** Invokes the functions directly, bypassing the event plumbing (tests of redelivery). */
  functions: {
    imageBatcher: ReturnType<typeof createImageBatcherHandler>;
    imageProcessor: ReturnType<typeof createImageProcessorHandler>;
    previewMaker: ReturnType<typeof createPreviewMakerHandler>;
  };
  /** The S3 → ImageBatcher rule (disable it to invoke ImageBatcher by hand). */
  uploadRule: EventRule;
  /** True while an event or a batch is being handled. */
  busy(): boolean;
  stop(): Promise<void>;
}

/**
 * The whole ingestion pipeline on this machine: real PostgreSQL, S3 (s3rver) and SQS/SNS (fauxqs),
 * with the deployed functions' code wired the way AWS wires it — S3 → EventBridge rule → ImageBatcher,
 * SQS event source mappings → ImageProcessor and PreviewMaker.
 */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const services = await startLocalServices(options);
  const log = createLogger({ name: 'local', level: options.logLevel ?? 'warn' });
  const runtimes: PipelineRuntime[] = [];
  const mappings: EventSourceMapping[] = [];
  let route: EventRule | undefined;
  try {
    const env = (name: string, extra: Record<string, string> = {}) => ({
      ...services.functionEnv,
      PREVIEW_DELAY_SECONDS: String(options.previewDelaySeconds ?? 2),
      PREVIEW_RETRY_DELAY_SECONDS: String(options.previewRetryDelaySeconds ?? 1),
      PREVIEW_STALL_SECONDS: String(options.previewStallSeconds ?? 60),
      PREVIEW_SAMPLE_SIZE: String(options.previewSampleSize ?? 9),
      LOG_LEVEL: options.logLevel ?? 'warn',
      ...extra,
      FUNCTION: name,
    });
    const runtime = (name: PipelineFunctionName, extra?: Record<string, string>) => {
      const rt = createPipelineRuntime(name, env(name, extra));
      runtimes.push(rt);
      options.instrument?.(name, rt);
      return rt;
    };

    const control = runtime('local');
    await migrateToLatest(control.db);
    const componentUrls = await ensureLocalComponentLogins(control.db, services.databaseUrl);
    const asPipeline = { DATABASE_URL: componentUrls.pipeline };

    const functions = {
      imageBatcher: createImageBatcherHandler(runtime('image-batcher', asPipeline)),
      imageProcessor: createImageProcessorHandler(
        runtime('image-processor', { ...asPipeline, DEAD_LETTER_QUEUE_URL: services.queueUrls.imageDeadLetter }),
      ),
      previewMaker: createPreviewMakerHandler(
        runtime('preview-maker', {
          ...asPipeline,
          DEAD_LETTER_QUEUE_URL: services.queueUrls.previewDeadLetter,
          PREVIEW_MAX_ATTEMPTS: String(LOCAL_QUEUES.preview.maxReceiveCount),
        }),
      ),
    };

    route = routeObjectCreated(
      services.s3Events,
      { bucket: LOCAL_BUCKETS.uploads, prefix: 'uploads/', suffix: '.zip', log },
      functions.imageBatcher,
    );
    const sqs = localSqsClient(services.sqsEndpoint);
    mappings.push(
      startEventSourceMapping(
        {
          sqs,
          queueUrl: services.queueUrls.image,
          batchSize: LOCAL_QUEUES.image.batchSize,
          concurrency: LOCAL_QUEUES.image.concurrency,
          log,
          onBatch: (report) => options.onBatch?.('image', report),
        },
        functions.imageProcessor,
      ),
      startEventSourceMapping(
        {
          sqs,
          queueUrl: services.queueUrls.preview,
          batchSize: LOCAL_QUEUES.preview.batchSize,
          concurrency: LOCAL_QUEUES.preview.concurrency,
          log,
          onBatch: (report) => options.onBatch?.('preview', report),
        },
        functions.previewMaker,
      ),
    );

    const stopRoute = route;
    return {
      services,
      runtime: control,
      componentUrls,
      functions,
      uploadRule: stopRoute,
      busy: () => mappings.some((m) => m.busy() > 0),
      stop: async () => {
        stopRoute.stop();
        await stopRoute.idle().catch(() => undefined);
        await Promise.all(mappings.map((m) => m.stop()));
        await Promise.all(runtimes.map((rt) => rt.close()));
        await services.stop();
      },
    };
  } catch (error) {
    route?.stop();
    await Promise.all(mappings.map((m) => m.stop()));
    await Promise.all(runtimes.map((rt) => rt.close().catch(() => undefined)));
    await services.stop();
    throw error;
  }
}

function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
}

export type { Logger };
