/**
 * `npm run bench -- ingest [--json]`: a 50-icon set through the whole local pipeline (PostgreSQL,
 * s3rver, fauxqs, the three handlers), timed from the upload to the last rendition, beside the
 * per-image render cost and sharp's encode-only cost (the encoder limit) measured in the same run.
 * Target: 50 icons ready in under 10 s on a 2-core machine; render within 1.5x of the encoder limit.
 */
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import JSZip from 'jszip';
import { createContributor, reserveUpload } from '../../core/catalog/index.ts';
import { renditionSpecsFor } from '../../core/render/index.ts';
import { createS3Client, uploadKey } from '../../core/storage/index.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { LOCAL_BUCKETS } from '../local/aws-resources.ts';
import { startLocalPipeline } from '../local/pipeline.ts';
import { waitForUpload } from '../local/upload-tracking.ts';
import { benchRender } from './render.ts';

export interface IngestBenchResult {
  icons: number;
  /** From the PUT of the ZIP to the moment the last image has all its renditions stored. */
  secondsToLastRendition: number;
  /** Until the set is ready (family preview, set ZIP), with the deployed 120 s watchdog delay configured. */
  secondsToSetReady: number;
  renderPerImageMs: number;
  encoderLimitPerImageMs: number;
  renderToEncoderLimit: number;
}

const ICONS = 50;
/** The deployed watchdog delay: a set must be ready when its last image is, not when the watchdog comes. */
const PREVIEW_DELAY_SECONDS = 120;

/** 50 real-world icons (Lucide, ISC licence), as a contributor would upload them. */
async function lucideIcons(count: number): Promise<Array<{ file: string; svg: Buffer }>> {
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('lucide-static/package.json')), 'icons');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.svg')).sort();
  const step = Math.floor(files.length / count);
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const file = files[i * step]!;
      return { file, svg: await readFile(path.join(dir, file)) };
    }),
  );
}

async function uploadZip(icons: Array<{ file: string; svg: Buffer }>): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(
    'manifest.json',
    JSON.stringify({
      manifestVersion: 1,
      product: { kind: 'icon-set', title: 'Benchmark Icons', family: { slug: 'benchmark' }, license: 'free' },
      images: icons.map(({ file }) => ({ file, title: file.replace(/\.svg$/, '') })),
    }),
  );
  for (const icon of icons) zip.file(icon.file, icon.svg);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

export async function benchIngest(): Promise<IngestBenchResult> {
  const icons = await lucideIcons(ICONS);
  const zip = await uploadZip(icons);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-ingest-'));
  await chmod(dataDir, 0o711);
  const pipeline = await startLocalPipeline({ dataDir, previewDelaySeconds: PREVIEW_DELAY_SECONDS, logLevel: 'silent' });
  try {
    const db = pipeline.runtime.db;
    const contributor = await createContributor(db, { slug: 'bench', displayName: 'Bench', email: 'bench@example.test' });
    const s3 = createS3Client(pipeline.services.functionEnv);

    const run = async (uploadId: string) => {
      await reserveUpload(db, { uploadId, contributorId: contributor.id });
      const started = performance.now();
      await s3.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: uploadKey(contributor.id, uploadId), Body: zip }));
      let lastRendition = 0;
      for (;;) {
        const upload = await db.selectFrom('uploads').select(['status', 'productId']).where('id', '=', uploadId).executeTakeFirst();
        if (upload?.status === 'rejected') throw new Error('benchmark upload was rejected');
        if (upload?.productId) {
          const pending = await db
            .selectFrom('images')
            .where('productId', '=', upload.productId)
            .where('status', '!=', 'ready')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow();
          if (Number(pending.n) === 0) {
            lastRendition = performance.now();
            break;
          }
        }
        await sleep(20);
      }
      await waitForUpload(db, uploadId, { timeoutMs: 120_000, pollMs: 20 });
      const ready = performance.now();
      return {
        secondsToLastRendition: (lastRendition - started) / 1000,
        secondsToSetReady: (ready - started) / 1000,
      };
    };

    // A warm-up upload fills connection pools and loads libvips, as a warm Lambda would have them.
    await run('0a0a0a0a-0000-4000-8000-000000000001');
    const timed = await run('0a0a0a0a-0000-4000-8000-000000000002');

    const sanitised = icons.map(({ file, svg }) => {
      const result = sanitizeSvg(svg);
      if (!result.ok) throw new Error(`${file}: ${result.reason}`);
      return result.svg;
    });
    const render = await benchRender({ images: sanitised, specs: renditionSpecsFor('icon-set') });
    return {
      icons: ICONS,
      ...timed,
      renderPerImageMs: render.renderPerImageMs,
      encoderLimitPerImageMs: render.encoderLimitPerImageMs,
      renderToEncoderLimit: render.ratioToEncoderLimit,
    };
  } finally {
    await pipeline.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function printIngestBench(result: IngestBenchResult): void {
  const s = (n: number) => `${n.toFixed(2)} s`;
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  console.log(`ingest: ${result.icons} icons end to end (PostgreSQL, s3rver, fauxqs, the three handlers)`);
  console.log(`  upload → last rendition        ${s(result.secondsToLastRendition)}   (target < 10 s)`);
  console.log(`  upload → set ready             ${s(result.secondsToSetReady)}   (120 s watchdog delay configured; target: within 2 s of the last rendition)`);
  console.log(`  render per image               ${ms(result.renderPerImageMs)}`);
  console.log(`  encoder limit per image        ${ms(result.encoderLimitPerImageMs)}`);
  console.log(`  render / encoder limit         ${result.renderToEncoderLimit.toFixed(2)}x   (target ≤ 1.5x)`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchIngest();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else printIngestBench(result);
  process.exit(0);
}
