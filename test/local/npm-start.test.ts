import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { freePort } from '../../app/nginx/run.ts';
import { buildUploadZip, iconFiles, iconSetFiles, iconSetManifest } from '../fixtures/uploads.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Every process whose command line mentions `needle` (our data folder), other than this one. */
function processesMentioning(needle: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(needle) && !line.includes('ps -eo'))
    .map((line) => line.trim());
}

describe('npm start: the whole marketplace as a developer runs it', function () {
  // The first start may build the storefront (next build), then it ingests the sample sets.
  this.timeout(420_000);
  let dataDir: string;
  let port: number;
  let child: ChildProcess;
  let output = '';

  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'npm-start-'));
    await chmod(dataDir, 0o711);
    port = await freePort();
    child = spawn('npm', ['start'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(port), MARKETPLACE_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as in a terminal
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 400_000; !/^READY$/m.test(output); ) {
      if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start did not get ready:\n${output}`);
      await sleep(250);
    }
  });

  after(async () => {
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('prints the URLs and sample accounts, and serves the storefront and the API on one origin', async () => {
    const origin = `http://127.0.0.1:${port}`;
    expect(output).to.include(`Storefront        ${origin}`);
    expect(output).to.match(/contributor\s+lucide@example\.test/);
    expect((await fetch(`${origin}/api/health`)).status).to.equal(200);
    const openapi = (await (await fetch(`${origin}/api/openapi.json`)).json()) as { openapi: string };
    expect(openapi.openapi).to.match(/^3\./);
    const home = await (await fetch(`${origin}/`)).text();
    expect(home).to.include('Families');
    const families = (await (await fetch(`${origin}/api/families`)).json()) as { items: unknown[] };
    expect(families.items.length, 'sample families').to.be.greaterThan(2);
    const pipeline = (await (await fetch(`${origin}/_local/pipeline`)).json()) as { queues: Array<{ name: string }> };
    expect(pipeline.queues.map((q) => q.name)).to.deep.equal(['image-processor', 'preview-maker']);
  });

  it('has free and paid sample sets, and a sample buyer who bought one through the local checkout', async () => {
    const origin = `http://127.0.0.1:${port}`;
    const signin = await fetch(`${origin}/api/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'buyer@example.test', password: 'sample-password-1234' }),
    });
    expect(signin.status).to.equal(200);
    const cookie = signin.headers.get('set-cookie')!.split(';')[0]!;
    const purchases = (await (await fetch(`${origin}/api/me/purchases`, { headers: { cookie } })).json()) as {
      items: Array<{ title: string; licence: string; orderId: string | null }>;
    };
    const bought = purchases.items.filter((item) => item.licence !== 'free');
    expect(bought.map((item) => [item.title, item.licence])).to.deep.equal([['Arrows Line Icons', 'standard']]);
    expect(bought[0]!.orderId).to.match(/^[0-9a-f-]{36}$/);
    const sets = (await (await fetch(`${origin}/api/products?limit=50`)).json()) as { items: Array<{ price: { amount: number } | null }> };
    const prices = sets.items.map((set) => set.price?.amount ?? 0);
    expect(prices.some((amount) => amount === 0), 'a free set').to.equal(true);
    expect(prices.some((amount) => amount > 0), 'a paid set').to.equal(true);
  });

  it('takes an upload through the API and the pipeline into search', async () => {
    const origin = `http://127.0.0.1:${port}`;
    const signup = await fetch(`${origin}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'new@example.test', password: 'a-long-password-1', displayName: 'New Designer', role: 'contributor', slug: 'new-designer' }),
    });
    expect(signup.status).to.equal(202);
    expect(signup.headers.get('set-cookie')).to.equal(null);
    // The verification mail is in the local outbox, on the marketplace's origin, its link on that origin too.
    const outbox = (await (await fetch(`${origin}/_local/outbox.json`)).json()) as { mails: Array<{ to: string[]; links: string[] }> };
    const link = outbox.mails.find((mail) => mail.to.includes('new@example.test'))!.links[0]!;
    expect(link.startsWith(`${origin}/verify-email?token=`), link).to.equal(true);
    const outboxPage = await (await fetch(`${origin}/_local/outbox`)).text();
    expect(outboxPage).to.contain(`<a href="${link}">`);
    const token = new URL(link).searchParams.get('token');
    const verified = await fetch(`${origin}/api/auth/verify-email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(verified.status).to.equal(200);
    const signin = await fetch(`${origin}/api/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'new@example.test', password: 'a-long-password-1' }),
    });
    expect(signin.status).to.equal(200);
    expect(((await signin.json()) as { account: { emailVerified: boolean } }).account.emailVerified).to.equal(true);
    const cookie = signin.headers.get('set-cookie')!.split(';')[0]!;
    const json = { 'content-type': 'application/json', cookie };
    const created = (await (await fetch(`${origin}/api/drafts`, { method: 'POST', headers: json, body: '{}' })).json()) as {
      draft: { id: string; productId: string };
      upload: { url: string; fields: Record<string, string> };
    };
    const form = new FormData();
    for (const [name, value] of Object.entries(created.upload.fields)) form.append(name, value);
    const files = iconSetFiles(3);
    const zip = await buildUploadZip({
      files,
      manifest: iconSetManifest({
        product: { title: 'Zephyr Glyphs', family: { slug: 'zephyr', title: 'Zephyr' } },
        images: iconFiles(3).map((file, i) => ({ file, title: `Glyph ${i + 1}` })),
      }),
    });
    form.append('file', new Blob([zip], { type: 'application/zip' }), 'set.zip');
    expect((await fetch(created.upload.url, { method: 'POST', body: form })).status).to.be.oneOf([200, 201, 204]);

    let state = '';
    for (const deadline = Date.now() + 120_000; state !== 'ready'; ) {
      const { draft } = (await (await fetch(`${origin}/api/drafts/${created.draft.id}`, { headers: { cookie } })).json()) as { draft: { state: string } };
      state = draft.state;
      expect(['rejected', 'failed']).to.not.include(state);
      if (Date.now() > deadline) throw new Error(`upload stuck in ${state}`);
      await sleep(250);
    }
    expect((await fetch(`${origin}/api/products/${created.draft.productId}/publish`, { method: 'POST', headers: json, body: '{}' })).status).to.equal(200);
    const product = (await (await fetch(`${origin}/api/products/${created.draft.productId}`)).json()) as { product: { title: string } };
    expect(product.product.title).to.equal('Zephyr Glyphs');
    const found = (await (await fetch(`${origin}/api/search?type=sets&q=zephyr`)).json()) as { items: Array<{ id: string }> };
    expect(found.items.map((item) => item.id)).to.include(created.draft.productId);
  });

  it('refuses a second npm start on the same data', async () => {
    const second = spawn('npm', ['start'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: String(await freePort()), MARKETPLACE_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    second.stdout!.on('data', (c: Buffer) => (text += c.toString()));
    second.stderr!.on('data', (c: Buffer) => (text += c.toString()));
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
    expect(code).to.not.equal(0);
    expect(text).to.match(/already running/);
  });

  it('stops every process on Ctrl-C and leaves nothing running', async () => {
    expect(processesMentioning(dataDir).length, 'PostgreSQL runs from the data folder').to.be.greaterThan(0);
    process.kill(-child.pid!, 'SIGINT'); // Ctrl-C goes to the whole foreground process group
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.exitCode !== null || child.signalCode !== null
        ? resolve([child.exitCode, child.signalCode])
        : child.on('exit', (c, s) => resolve([c, s])),
    );
    // npm itself dies of the SIGINT, as in a terminal; the marketplace under it stops cleanly.
    expect(code === 0 || signal === 'SIGINT', `exit ${code} ${signal}`).to.equal(true);
    for (let i = 0; i < 40 && !output.includes('SIGINT: stopping'); i++) await sleep(100);
    expect(output).to.include('SIGINT: stopping');
    for (let i = 0; i < 40 && processesMentioning(dataDir).length > 0; i++) await sleep(250);
    expect(processesMentioning(dataDir)).to.deep.equal([]);
    const refused = await fetch(`http://127.0.0.1:${port}/api/health`).then(() => false, () => true);
    expect(refused, 'the port is closed').to.equal(true);
  });
});
