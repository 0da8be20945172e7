import { EventEmitter } from 'node:events';
import { chmod, mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { startPostgres, type LocalPostgres } from './postgres.ts';
import { startS3Process, type S3Emulator } from './s3-process.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_QUEUES, LOCAL_REGION, LOCAL_TOPICS } from './aws-resources.ts';

/** An S3 notification record as s3rver emits it (the shape S3 sends to SQS/SNS/Lambda). */
export interface S3NotificationRecord {
  eventName: string;
  eventTime?: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer?: string } };
}

export interface LocalServices {
  postgres: LocalPostgres;
  /** Connection string of the marketplace database. */
  databaseUrl: string;
  s3Endpoint: string;
  sqsEndpoint: string;
  fauxqs: FauxqsServer;
  /** Emits `'record'` with an {@link S3NotificationRecord} for every object event. */
  s3Events: EventEmitter;
  queueUrls: { image: string; imageDeadLetter: string; preview: string; previewDeadLetter: string; eventsInbox: string };
  eventsTopicArn: string;
  /** The environment a deployed function gets, pointed at these local services. */
  functionEnv: Record<string, string>;
  stop(): Promise<void>;
}

export interface StartLocalServicesOptions {
  /** Everything is stored under this folder (database cluster, S3 objects). */
  dataDir: string;
  /** Where the S3 emulator keeps its objects instead. @default `<dataDir>/s3` */
  s3Dir?: string;
  /** 0 or undefined: pick free ports. */
  ports?: { postgres?: number; s3?: number; sqs?: number };
  database?: string;
  /** Keep data across restarts (npm start) instead of a throw-away cluster (tests, ingest CLI). */
  persistent?: boolean;
  /**
   * Queue settings other than the deployed ones (tests: a visibility timeout of seconds instead of minutes,
   * so a failed message comes back quickly).
   */
  queueSettings?: Partial<Record<keyof typeof LOCAL_QUEUES, QueueSettings>>;
}

export interface QueueSettings {
  /** Default: six times the consuming function's timeout. */
  visibilityTimeoutSeconds?: number;
}

/** Starts PostgreSQL, the S3 emulator and the SQS/SNS emulator, and creates the pipeline's resources. */
export async function startLocalServices(options: StartLocalServicesOptions): Promise<LocalServices> {
  const started: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    await mkdir(options.dataDir, { recursive: true });
    // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the data folder.
    if (process.getuid?.() === 0) await chmod(options.dataDir, 0o711);
    const postgres = await startPostgres({
      dataDir: path.join(options.dataDir, 'postgres'),
      port: options.ports?.postgres ?? 0,
      persistent: options.persistent ?? false,
    });
    started.push(() => postgres.stop());
    const databaseUrl = await ensureDatabase(postgres, options.database ?? 'marketplace');

    const s3 = await startS3(options.s3Dir ?? path.join(options.dataDir, 's3'), options.ports?.s3 ?? 0);
    started.push(s3.stop);

    const fauxqs = await startSqsEmulator(options.ports?.sqs ?? 0);
    started.push(() => fauxqs.stop());
    const queues = createQueues(fauxqs, options.queueSettings ?? {});

    const functionEnv: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_SQS: fauxqs.address,
      AWS_ENDPOINT_URL_SNS: fauxqs.address,
      DATABASE_URL: databaseUrl,
      UPLOADS_BUCKET: LOCAL_BUCKETS.uploads,
      ASSETS_BUCKET: LOCAL_BUCKETS.assets,
      DOWNLOADS_BUCKET: LOCAL_BUCKETS.downloads,
      IMAGE_QUEUE_URL: queues.urls.image,
      PREVIEW_QUEUE_URL: queues.urls.preview,
      EVENTS_TOPIC_ARN: queues.eventsTopicArn,
    };

    return {
      postgres,
      databaseUrl,
      s3Endpoint: s3.endpoint,
      sqsEndpoint: fauxqs.address,
      fauxqs,
      s3Events: s3.events,
      queueUrls: queues.urls,
      eventsTopicArn: queues.eventsTopicArn,
      functionEnv,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Runs `start` with every listen on 0.0.0.0 moved to 127.0.0.1. fauxqs binds 0.0.0.0 with no option to
 * change it, which put the SQS/SNS emulator (queue contents, purges, sends) on every network the machine is on;
 * each local service listens on loopback only.
 */
async function onLoopback<T>(start: () => Promise<T>): Promise<T> {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const [first] = args;
    if (first && typeof first === 'object' && (first as net.ListenOptions).host === '0.0.0.0') {
      args[0] = { ...(first as net.ListenOptions), host: '127.0.0.1' };
    }
    return (listen as (...a: unknown[]) => net.Server).apply(this, args);
  } as typeof listen;
  try {
    return await start();
  } finally {
    net.Server.prototype.listen = listen;
  }
}

/** A persistent cluster already holds the database from the last start. */
async function ensureDatabase(postgres: LocalPostgres, name: string): Promise<string> {
  try {
    return await postgres.createDatabase(name);
  } catch (error) {
    if ((error as { code?: string }).code === '42P04') return postgres.connectionString(name); // duplicate_database
    throw error;
  }
}

/** The SQS/SNS emulator on 127.0.0.1 (see onLoopback). */
export function startSqsEmulator(port: number): Promise<FauxqsServer> {
  return onLoopback(() => startFauxqs({ port, logger: false }));
}

/**
 * The S3 emulator on 127.0.0.1, with the local buckets; `events` re-emits its object notifications. It runs in a
 * child process (s3-process.ts), so its request handling uses the second core instead of the handlers' event loop.
 */
export function startS3(directory: string, port: number): Promise<S3Emulator> {
  return startS3Process({ directory, port, buckets: Object.values(LOCAL_BUCKETS) });
}

function createQueues(server: FauxqsServer, settings: Partial<Record<keyof typeof LOCAL_QUEUES, QueueSettings>>) {
  const queue = (role: keyof typeof LOCAL_QUEUES) => {
    const spec = LOCAL_QUEUES[role];
    const visibility = settings[role]?.visibilityTimeoutSeconds ?? spec.functionTimeoutSeconds * 6;
    const dlq = server.createQueue(spec.deadLetterName, { attributes: { MessageRetentionPeriod: '1209600' } });
    const main = server.createQueue(spec.name, {
      attributes: {
        VisibilityTimeout: String(visibility),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.queueArn, maxReceiveCount: String(spec.maxReceiveCount) }),
      },
    });
    return { url: main.queueUrl, deadLetterUrl: dlq.queueUrl };
  };
  const image = queue('image');
  const preview = queue('preview');
  const inbox = server.createQueue(LOCAL_TOPICS.eventsInbox);
  const { topicArn } = server.createTopic(LOCAL_TOPICS.events);
  server.subscribe({ topic: LOCAL_TOPICS.events, queue: LOCAL_TOPICS.eventsInbox });
  return {
    urls: {
      image: image.url,
      imageDeadLetter: image.deadLetterUrl,
      preview: preview.url,
      previewDeadLetter: preview.deadLetterUrl,
      eventsInbox: inbox.queueUrl,
    },
    eventsTopicArn: topicArn,
  };
}
