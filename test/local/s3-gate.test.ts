/**
 * The local front door's S3 gate (scripts/local/s3-gate.ts, s3-gate-server.ts) against the real S3 emulator:
 * a presigned POST form must have one reading only, and what reaches s3rver is re-encoded from the checked
 * values. The emulator reads the last case-sensitive `key` before the first `file` and ignores the rest;
 * the gate used to check the last value of each lower-cased name over the whole form, so one valid form
 * could write any key with any Content-Type (security review, branch `review`). And `/assets` serves one
 * object per request: the bucket listing would name the previews of hidden sets.
 */
import http from 'node:http';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { expect } from 'chai';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import type { FrontDoor } from '../../scripts/local/front-door.ts';
import { startFrontDoorStack, type FrontDoorStack } from '../support/front-door-stack.ts';

const MINE = 'uploads/11111111-1111-4111-8111-111111111111/22222222-2222-4222-8222-222222222222.zip';
const VICTIMS = 'uploads/33333333-3333-4333-8333-333333333333/44444444-4444-4444-8444-444444444444.zip';
const HIDDEN_PREVIEW = 'previews/0d6f3b1e-5a9b-4f6e-9a59-2f1f0c8f4a11/0123456789abcdef0123456789abcdef/7c1f2f33-4b59-4c1e-8a2e-6f0e1a2b3c4d/r2/256.png';

/** A raw GET that keeps the path exactly as written (no URL normalisation). */
function rawGet(base: string, pathAndQuery: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ host: hostname, port, path: pathAndQuery, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      })
      .on('error', reject);
  });
}

describe('local front door: presigned POST forms have one reading, /assets serves single objects', function () {
  this.timeout(60_000);
  let stack: FrontDoorStack;
  let door: FrontDoor;
  let viaDoor: S3Client;
  let direct: S3Client;

  before(async () => {
    stack = await startFrontDoorStack();
    ({ door, viaDoor, direct } = stack);
    await direct.send(new PutObjectCommand({ Bucket: LOCAL_BUCKETS.assets, Key: HIDDEN_PREVIEW, Body: 'png', ContentType: 'image/png' }));
  });

  after(async () => {
    await stack?.stop();
  });

  /** The contributor's own draft form, as POST /api/drafts hands it out (contributor/drafts.ts). */
  const myForm = () =>
    createPresignedPost(viaDoor, {
      Bucket: LOCAL_BUCKETS.uploads,
      Key: MINE,
      Conditions: [['content-length-range', 1, 1_000], ['eq', '$Content-Type', 'application/zip']],
      Fields: { 'Content-Type': 'application/zip' },
      Expires: 600,
    });
  const stored = (key: string) => direct.send(new HeadObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: key })).then((head) => head, () => undefined);
  const zip = () => new Blob([Buffer.from('PK zip bytes')]);

  async function send(url: string, parts: Array<[string, string | Blob]>): Promise<string> {
    const form = new FormData();
    for (const [name, value] of parts) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, value, 'set.zip');
    }
    const response = await fetch(url, { method: 'POST', body: form });
    return `${response.status} ${await response.text()}`;
  }
  const refusal = (reason: string) => `403 the upload breaks its presigned policy: ${reason}\n`;

  it('refuses a second key after the file, and stores nothing', async () => {
    const upload = await myForm();
    const fields = Object.entries(upload.fields).map(([name, value]): [string, string] => [name, name === 'key' ? VICTIMS : value]);
    // The gate used to check the last `key` (MINE); s3rver stores at the one before the file (VICTIMS).
    expect(await send(upload.url, [...fields, ['file', zip()], ['key', MINE]])).to.equal(refusal('form field key comes after the file'));
    // Any field after the file, even one the policy allows and with the same value.
    expect(await send(upload.url, [...Object.entries(upload.fields), ['file', zip()], ['Content-Type', 'application/zip']])).to.equal(
      refusal('form field content-type comes after the file'),
    );
    expect(await stored(VICTIMS)).to.equal(undefined);
    expect(await stored(MINE)).to.equal(undefined);
  });

  it('refuses case variants of a field (`Key` beside `key`) and duplicate Content-Types', async () => {
    const upload = await myForm();
    const others = Object.entries(upload.fields).filter(([name]) => name !== 'key' && name !== 'Content-Type');
    // The review's form: s3rver's `key` and `content-type` first, the gate's `Key` and `Content-Type` after.
    const other = 'uploads/55555555-5555-4555-8555-555555555555/66666666-6666-4666-8666-666666666666.zip';
    expect(
      await send(upload.url, [['key', other], ['content-type', 'text/html'], ...others, ['Key', MINE], ['file', new Blob(['<script>alert(1)</script>'])]]),
    ).to.equal(refusal('form field key is sent more than once'));
    expect(await send(upload.url, [...Object.entries(upload.fields), ['content-type', 'text/html'], ['file', zip()]])).to.equal(
      refusal('form field content-type is sent more than once'),
    );
    expect(await send(upload.url, [...Object.entries(upload.fields), ['key', MINE], ['file', zip()]])).to.equal(refusal('form field key is sent more than once'));
    expect(await send(upload.url, [...Object.entries(upload.fields), ['file', zip()], ['file', zip()]])).to.equal(refusal('form field file comes after the file'));
    expect(await send(upload.url, [...Object.entries(upload.fields), ['other', zip()], ['file', zip()]])).to.equal(
      refusal('form field other carries a file; only the file field may'),
    );
    expect(await send(upload.url, [...Object.entries(upload.fields), ['file', 'PK text']])).to.equal(refusal('the file field carries text, not a file'));
    expect(await stored(other)).to.equal(undefined);
    expect(await stored(MINE)).to.equal(undefined);
  });

  it('stores exactly what it checked: a `Key` spelled otherwise lands at the signed key, as application/zip', async () => {
    const upload = await myForm();
    const renamed = Object.entries(upload.fields).map(([name, value]): [string, string] => [name === 'key' ? 'Key' : name === 'Content-Type' ? 'CONTENT-TYPE' : name, value]);
    // s3rver alone would find no `key` here (it reads the name case-sensitively): the gate forwards `key`.
    expect(await send(upload.url, [...renamed, ['x-ignore-note', 'dropped'], ['file', zip()]])).to.equal('204 ');
    const head = await stored(MINE);
    expect(head?.ContentType).to.equal('application/zip');
    const body = await (await direct.send(new GetObjectCommand({ Bucket: LOCAL_BUCKETS.uploads, Key: MINE }))).Body!.transformToString();
    expect(body).to.equal('PK zip bytes');
  });

  it('refuses a POST with a query string (another S3 operation than an upload)', async () => {
    const upload = await myForm();
    const status = await send(`${upload.url}?delete`, [...Object.entries(upload.fields), ['file', zip()]]);
    expect(status).to.equal('403 only presigned downloads (GET) and presigned POST uploads pass /s3\n');
  });

  it('refuses to list the assets bucket, and any query string on /assets', async () => {
    expect(await rawGet(door.url, `/assets/${HIDDEN_PREVIEW}`)).to.deep.equal({ status: 200, body: 'png' });
    expect(await rawGet(door.url, '/assets/')).to.deep.equal({ status: 403, body: 'the assets bucket is not listed\n' });
    for (const listing of ['/assets/?list-type=2', '/assets/?prefix=previews/', `/assets/${HIDDEN_PREVIEW}?acl`, '/assets/?']) {
      expect(await rawGet(door.url, listing), listing).to.deep.equal({ status: 400, body: 'no query string on /assets\n' });
    }
    for (const spelling of ['/assets//', '/assets/%2F', '/assets//previews/']) {
      const reply = await rawGet(door.url, spelling);
      expect(reply.body, spelling).to.not.include('ListBucketResult');
      expect(reply.status, spelling).to.be.oneOf([403, 404]);
    }
  });
});
