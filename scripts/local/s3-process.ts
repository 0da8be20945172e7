/**
 * The S3 emulator (s3rver) in a child process of its own, as S3 is a service of its own in AWS.
 *
 * Run in the pipeline's process it took a third of the main thread: every rendition PUT goes through Koa,
 * koa-logger (which formats each request even when silent) and three file writes. Ingesting 500 Tabler icons
 * left the main thread busy for all of the run (render, SDK, PostgreSQL client and s3rver on one event loop)
 * while the second core waited. Here it works beside the handlers instead.
 *
 * Protocol (Node IPC, JSON): the child sends `{ type: 'ready', port }` once listening and
 * `{ type: 'records', records }` for every object event s3rver emits; the parent sends `{ type: 'stop' }`.
 * The child also stops when the parent goes away (the IPC channel closes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import S3rver from 's3rver';
import { z } from 'zod';
import type { S3NotificationRecord } from './services.ts';

const ChildOptions = z.object({ directory: z.string().min(1), port: z.number().int().min(0).max(65_535), buckets: z.array(z.string().min(3)) });
type ChildOptions = z.infer<typeof ChildOptions>;

const FromChild = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), port: z.number().int() }),
  z.object({ type: z.literal('records'), records: z.array(z.custom<S3NotificationRecord>((value) => typeof value === 'object' && value !== null)) }),
  z.object({ type: z.literal('failed'), message: z.string() }),
]);

export interface S3Emulator {
  endpoint: string;
  /** Emits `'record'` with an S3NotificationRecord for every object event, in the order s3rver emitted them. */
  events: EventEmitter;
  stop(): Promise<void>;
}

/** Starts s3rver in a child process on 127.0.0.1 with `buckets`; resolves once it listens. */
export async function startS3Process(options: ChildOptions): Promise<S3Emulator> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(ChildOptions.parse(options))], {
    // The child runs this TypeScript file through tsx, wherever the parent was started from.
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const events = new EventEmitter();
  const exited = once(child, 'exit');
  const ready = new Promise<number>((resolve, reject) => {
    child.on('message', (raw) => {
      const message = FromChild.safeParse(raw);
      if (!message.success) return;
      if (message.data.type === 'ready') resolve(message.data.port);
      else if (message.data.type === 'failed') reject(new Error(`the S3 emulator did not start: ${message.data.message}`));
      else for (const record of message.data.records) events.emit('record', record);
    });
    void exited.then(([code]) => reject(new Error(`the S3 emulator exited with code ${String(code)} before it was ready`)));
  });
  let port: number;
  try {
    port = await ready;
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (child.connected) child.send({ type: 'stop' });
  else child.kill();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The child: s3rver as services.ts configured it in-process before. */
async function runChild(options: ChildOptions): Promise<void> {
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port,
    directory: options.directory,
    silent: true,
    // Requests reach it through the front door on another host name, so signatures cannot match here: the front
    // door checks them (and POST policies, which s3rver ignores) before anything gets this far (s3-gate.ts).
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  const { port } = (await server.run()) as { address: string; port: number };
  // s3rver is an EventEmitter at run time; its type definitions leave that out.
  (server as unknown as EventEmitter).on('event', (event: { Records: S3NotificationRecord[] }) => {
    process.send?.({ type: 'records', records: event.Records });
  });
  const stop = async () => {
    await (server.close() as Promise<void>).catch(() => undefined);
    process.disconnect?.();
    process.exit(0);
  };
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.send?.({ type: 'ready', port });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const options = ChildOptions.parse(JSON.parse(process.argv[2] ?? '{}'));
  runChild(options).catch((error: unknown) => {
    process.send?.({ type: 'failed', message: (error as Error).message });
    process.exit(1);
  });
}
