/**
 * The local front door over a real S3 emulator (s3rver), with no API or storefront behind it: what the front
 * door's S3 gate tests need. `viaDoor` signs against the front door's `/s3`, `direct` against the emulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../scripts/local/aws-resources.ts';
import { startFrontDoor, type FrontDoor } from '../../scripts/local/front-door.ts';
import { startS3 } from '../../scripts/local/services.ts';

export interface FrontDoorStack {
  door: FrontDoor;
  viaDoor: S3Client;
  direct: S3Client;
  stop(): Promise<void>;
}

export async function startFrontDoorStack(): Promise<FrontDoorStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'front-door-'));
  const s3 = await startS3(dir, 0);
  const door = await startFrontDoor({
    host: '127.0.0.1',
    port: 0,
    api: 'http://127.0.0.1:9',
    web: 'http://127.0.0.1:9',
    s3: s3.endpoint,
    assetsBucket: LOCAL_BUCKETS.assets,
    s3Credentials: { ...LOCAL_CREDENTIALS, region: LOCAL_REGION },
    pipelineStatus: () => ({}),
  });
  const creds = { AWS_REGION: LOCAL_REGION, AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey };
  const viaDoor = createS3Client({ ...creds, AWS_ENDPOINT_URL_S3: `${door.url}/s3` });
  const direct = createS3Client({ ...creds, AWS_ENDPOINT_URL_S3: s3.endpoint });
  return {
    door,
    viaDoor,
    direct,
    async stop() {
      viaDoor.destroy();
      direct.destroy();
      await door.close();
      await s3.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
