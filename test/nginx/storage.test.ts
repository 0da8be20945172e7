/**
 * app/nginx's local and dev storage front, for real: Debian's nginx in front of s3rver and the S3 gate
 * (scripts/local/s3-gate-server.ts). s3rver ignores POST policies and signatures, so uploads reach it only
 * through the gate (or not at all without one); `/assets/` serves single objects, never the bucket listing
 * (it would name the previews of hidden sets), and nothing is cached that a withdrawn preview could outlive.
 * The reproductions came from the security review (branch `review`, local-storage-exposure.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { expect } from 'chai';
import { startNginx, type RunningNginx, type StartNginxOptions } from '../../app/nginx/run.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS, LOCAL_CREDENTIALS, LOCAL_REGION } from '../../scripts/local/aws-resources.ts';
import { startS3Gate, type RunningS3Gate } from '../../scripts/local/s3-gate-server.ts';
import { startS3 } from '../../scripts/local/services.ts';

const HIDDEN_PREVIEW = 'previews/0d6f3b1e-5a9b-4f6e-9a59-2f1f0c8f4a11/0123456789abcdef0123456789abcdef/7c1f2f33-4b59-4c1e-8a2e-6f0e1a2b3c4d/r2/256.png';
const MINE = 'uploads/11111111-1111-4111-8111-111111111111/22222222-2222-4222-8222-222222222222.zip';
const NOBODY = { uid: 65534, gid: 65534 };

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request that keeps the path exactly as written (no URL normalisation). */
function request(base: string, pathAndQuery: string, method = 'GET'): Promise<Reply> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: pathAndQuery, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('app/nginx storage front (real nginx, s3rver and the S3 gate)', function () {
  this.timeout(60_000);
  let dir: string;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let gate: RunningS3Gate;
  let gated: RunningNginx;
  let ungated: RunningNginx;
  let direct: S3Client;
  let viaNginx: S3Client;
  const creds = { AWS_REGION: LOCAL_REGION, AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nginx-storage-'));
    s3 = await startS3(dir, 0);
    gate = await startS3Gate({ s3: s3.endpoint, s3Credentials: { ...LOCAL_CREDENTIALS, region: LOCAL_REGION } });
    const options = (uploadGate?: string): StartNginxOptions => ({
      apiUpstream: '127.0.0.1:9',
      webUpstream: '127.0.0.1:9',
      storage: { upstream: new URL(s3.endpoint).host, assetsBucket: LOCAL_BUCKETS.assets, uploadsBucket: LOCAL_BUCKETS.uploads, ...(uploadGate ? { uploadGate } : {}) },
      workerProcesses: 1,
      ...(process.getuid?.() === 0 ? { runAs: NOBODY } : {}),
    });
    gated = await startNginx(options(gate.address));
    ungated = await startNginx(options());
    direct = createS3Client({ ...creds, AWS_ENDPOINT_URL_S3: s3.endpoint });
    viaNginx = createS3Client({ ...creds, AWS_ENDPOINT_URL_S3: `${gated.url}/s3` });
    await direct.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: HIDDEN_PREVIEW, Body: 'png', ContentType: 'image/png' }));
  });

  after(async () => {
    direct?.destroy();
    viaNginx?.destroy();
    await gated?.stop();
    await ungated?.stop();
    await gate?.close();
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const stored = (key: string) => direct.send(new HeadObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: key })).then((head) => head, () => undefined);
  async function post(url: string, parts: Array<[string, string | Blob]>): Promise<string> {
    const form = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, value, 'set.zip');
    }
    const response = await fetch(url, { method: 'POST', body: form });
    return `${response.status} ${await response.text()}`;
  }

  it('passes uploads to the emulator only through the gate, which checks the presigned policy', async () => {
    const unsigned: Array<[string, string | Blob]> = [
      ['key', 'uploads/someone-else/their-draft.zip'],
      ['Content-Type', 'text/html'],
      ['file', new Blob(['<script>alert(1)</script>'])],
    ];
    const uploads = `${gated.url}/s3/${LOCAL_BUCKETS.uploads}`;
    expect(await post(uploads, unsigned)).to.equal('403 the upload breaks its presigned policy: not a SigV4 POST (x-amz-algorithm)\n');
    expect(await stored('uploads/someone-else/their-draft.zip')).to.equal(undefined);

    const upload = await createPresignedPost(viaNginx, {
      Bucket: LOCAL_BUCKETS.uploads,
      Key: MINE,
      Conditions: [['content-length-range', 1, 1_000], ['eq', '$Content-Type', 'application/zip']],
      Fields: { 'Content-Type': 'application/zip' },
      Expires: 600,
    });
    expect(upload.url).to.equal(uploads);
    const signed = Object.entries(upload.fields);
    expect(await post(upload.url, [...signed, ['file', new Blob(['PK']) ], ['key', 'uploads/elsewhere.zip']])).to.equal(
      '403 the upload breaks its presigned policy: form field key comes after the file\n',
    );
    expect(await post(`${upload.url}?delete`, [...signed, ['file', new Blob(['PK'])]])).to.equal(
      '403 only presigned downloads (GET) and presigned POST uploads pass /s3\n',
    );
    expect(await stored(MINE)).to.equal(undefined);

    expect(await post(upload.url, [...signed, ['file', new Blob(['PK zip'])]])).to.equal('204 ');
    expect((await stored(MINE))?.ContentType).to.equal('application/zip');
    const body = await (await direct.send(new GetObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: MINE }))).Body!.transformToString();
    expect(body).to.equal('PK zip');
  });

  it('refuses every upload when no gate is configured', async () => {
    const upload = await createPresignedPost(createS3Client({ ...creds, AWS_ENDPOINT_URL_S3: `${ungated.url}/s3` }), {
      Bucket: LOCAL_BUCKETS.uploads,
      Key: 'uploads/ungated.zip',
      Fields: { 'Content-Type': 'application/zip' },
      Conditions: [['eq', '$Content-Type', 'application/zip']],
      Expires: 600,
    });
    expect(await post(upload.url, [...Object.entries(upload.fields), ['file', new Blob(['PK'])]])).to.equal('403 uploads need the S3 gate (storage.uploadGate)\n');
    expect(await stored('uploads/ungated.zip')).to.equal(undefined);
  });

  it('never lists the assets bucket: no empty key, no query string', async () => {
    for (const nginx of [gated, ungated]) {
      const one = await request(nginx.url, `/assets/${HIDDEN_PREVIEW}`);
      expect(one.status).to.equal(200);
      expect(one.body).to.equal('png');
      for (const listing of ['/assets/', '/assets//', '/assets/%2F', '/assets/%2f%2f', '/assets/./', '/assets/?list-type=2', '/assets/?prefix=previews/', '/assets/?']) {
        const reply = await request(nginx.url, listing);
        expect(reply.body, listing).to.not.include('ListBucketResult');
        expect(reply.status, listing).to.equal(403);
      }
      for (const query of [`/assets/${HIDDEN_PREVIEW}?acl`, '/assets/previews?list-type=2', '/assets/x?']) {
        const reply = await request(nginx.url, query);
        expect(reply.body, query).to.not.include('ListBucketResult');
        expect(reply.status, query).to.equal(400);
      }
    }
  });

  it('stops serving a withdrawn preview at once: not cached by nginx, revalidated by browsers', async () => {
    const key = 'previews/withdrawn/r1/256.png';
    await direct.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: key, Body: 'png', ContentType: 'image/png' }));
    const first = await request(gated.url, `/assets/${key}`);
    expect(first.status).to.equal(200);
    expect(first.headers['cache-control']).to.equal('no-cache');
    expect((await request(gated.url, `/assets/${key}`)).status).to.equal(200);
    await direct.send(new DeleteObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: key }));
    expect((await request(gated.url, `/assets/${key}`)).status).to.equal(404);
  });
});
