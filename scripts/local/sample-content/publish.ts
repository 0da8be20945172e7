/**
 * Loads the sample content the way contributors add theirs: each sample contributor signs up (or in,
 * on a restart) through the API, confirms the address with the link in the local outbox (uploading and
 * publishing need it), opens a draft, posts the ZIP to the presigned S3 POST, waits for the pipeline, and
 * publishes the set.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLE_CONTRIBUTORS, SAMPLE_SETS, type SampleSet } from './catalog.ts';

/** Every sample account signs in with this password (local data only). */
export const SAMPLE_PASSWORD = 'sample-password-1234';
export const SAMPLE_BUYER = { email: 'buyer@example.test', displayName: 'Sample Buyer' };
/** The paid set the sample buyer owns. */
export const SAMPLE_PURCHASE = 'Arrows Line Icons';

export interface SampleOutcome {
  name: string;
  state: string;
  images: number;
  problems: string[];
}

interface Draft {
  id: string;
  productId: string;
  state: string;
  problems: Array<{ file?: string; field?: string; message: string }>;
  progress: { total: number; ready: number; failed: number; pending: number } | null;
}

/** A tiny API client holding one account's session cookie. */
class ApiSession {
  private cookie = '';
  constructor(private readonly origin: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const response = await fetch(`${this.origin}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.cookie ? { cookie: this.cookie } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as T };
  }

  async signUpOrIn(account: { email: string; displayName: string; role: 'buyer' | 'contributor'; slug?: string }): Promise<void> {
    // Sign-up answers 202 for a new and a known address alike, without a session (409: the slug exists,
    // from an earlier run); either way the account now exists and signs in.
    const signup = await this.request('POST', '/api/auth/signup', { ...account, password: SAMPLE_PASSWORD });
    if (signup.status !== 202 && signup.status !== 409) throw new Error(`sample account ${account.email}: sign-up ${signup.status}`);
    const signin = await this.request<{ account: { emailVerified: boolean } }>('POST', '/api/auth/signin', { email: account.email, password: SAMPLE_PASSWORD });
    if (signin.status !== 200) throw new Error(`sample account ${account.email}: sign-up ${signup.status}, sign-in ${signin.status}`);
    if (!signin.json.account.emailVerified) await this.confirmAddress(account.email);
  }

  /** Opens the newest verification link the SES stand-in received for this address, as its owner would. */
  private async confirmAddress(email: string): Promise<void> {
    const newestLink = async () => {
      const outbox = await this.request<{ mails: Array<{ to: string[]; links: string[] }> }>('GET', '/_local/outbox.json');
      // Newest first: the link of this sign-up (or of a claim, on a restart after an older run).
      return outbox.json.mails?.flatMap((mail) => (mail.to.includes(email) ? mail.links : [])).find((url) => url.includes('/verify-email?token='));
    };
    // A restart keeps no outbox, and a known slug (409) mails nothing: then ask for a new link.
    let link = await newestLink();
    if (!link) {
      await this.request('POST', '/api/auth/verify-email/resend');
      link = await newestLink();
    }
    if (!link) throw new Error(`sample account ${email}: no verification mail in the local outbox`);
    const verified = await this.request('POST', '/api/auth/verify-email', { token: new URL(link).searchParams.get('token') });
    if (verified.status !== 200) throw new Error(`sample account ${email}: verifying the address answered ${verified.status}`);
  }
}

export async function publishSampleContent(
  origin: string,
  stateFile: string,
  onProgress: (outcome: SampleOutcome) => void,
): Promise<SampleOutcome[]> {
  const done: Record<string, string> = JSON.parse(await readFile(stateFile, 'utf8').catch(() => '{}'));
  const buyer = new ApiSession(origin);
  await buyer.signUpOrIn({ ...SAMPLE_BUYER, role: 'buyer' });
  const sessions = new Map<string, ApiSession>();
  for (const contributor of SAMPLE_CONTRIBUTORS) {
    const session = new ApiSession(origin);
    await session.signUpOrIn({ email: contributor.email, displayName: contributor.displayName, role: 'contributor', slug: contributor.slug });
    sessions.set(contributor.slug, session);
  }

  // Upload every new set first so the pipeline works on them together, then follow each one.
  const started: Array<{ set: SampleSet; draftId: string }> = [];
  for (const set of SAMPLE_SETS) {
    if (done[set.name]) continue;
    const session = sessions.get(set.contributor)!;
    const created = await session.request<{ draft: Draft; upload: { url: string; fields: Record<string, string> } }>('POST', '/api/drafts', {});
    if (created.status !== 201) throw new Error(`sample ${set.name}: POST /api/drafts answered ${created.status}`);
    const form = new FormData();
    for (const [name, value] of Object.entries(created.json.upload.fields)) form.append(name, value);
    form.append('file', new Blob([await set.build()], { type: 'application/zip' }), `${set.name}.zip`);
    const posted = await fetch(created.json.upload.url, { method: 'POST', body: form });
    if (!posted.ok) throw new Error(`sample ${set.name}: the presigned POST answered ${posted.status}: ${await posted.text()}`);
    started.push({ set, draftId: created.json.draft.id });
  }

  const outcomes: SampleOutcome[] = [];
  for (const { set, draftId } of started) {
    const session = sessions.get(set.contributor)!;
    let draft: Draft;
    for (const deadline = Date.now() + 300_000; ; ) {
      draft = (await session.request<{ draft: Draft }>('GET', `/api/drafts/${draftId}`)).json.draft;
      if (['ready', 'rejected', 'failed'].includes(draft.state)) break;
      if (Date.now() > deadline) throw new Error(`sample ${set.name} did not finish within 5 minutes (state ${draft.state})`);
      await sleep(250);
    }
    if (draft.state === 'ready') {
      const published = await session.request('POST', `/api/products/${draft.productId}/publish`, {});
      if (published.status !== 200) throw new Error(`sample ${set.name}: publish answered ${published.status}`);
    }
    const outcome = {
      name: set.name,
      state: draft.state === 'ready' ? 'published' : draft.state,
      images: draft.progress?.total ?? 0,
      problems: draft.problems.map((p) => `${p.field ?? p.file ?? ''} ${p.message}`.trim()),
    };
    outcomes.push(outcome);
    onProgress(outcome);
    done[set.name] = draftId;
    await writeFile(stateFile, JSON.stringify(done, null, 2));
  }
  await buySampleSet(origin, buyer);
  return outcomes;
}

/** The sample buyer owns one paid set, bought through checkout and the local Stripe stand-in's "Pay". */
async function buySampleSet(origin: string, buyer: ApiSession): Promise<void> {
  const purchases = await buyer.request<{ items: Array<{ licence: string; revokedAt: string | null }> }>('GET', '/api/me/purchases');
  if (purchases.json.items.some((item) => item.licence !== 'free' && item.revokedAt === null)) return;
  const sets = await buyer.request<{ items: Array<{ id: string; title: string }> }>('GET', '/api/products?contributor=lucide-studio&limit=50');
  const set = sets.json.items.find((item) => item.title === SAMPLE_PURCHASE);
  if (!set) return;
  const checkout = await buyer.request<{ url: string }>('POST', '/api/checkout', { productIds: [set.id] });
  if (checkout.status !== 201) throw new Error(`sample purchase: POST /api/checkout answered ${checkout.status}`);
  // With real Stripe keys the buyer would have to pay on Stripe's page: leave it unbought.
  if (!checkout.json.url.startsWith(`${origin}/_local/checkout/`)) return;
  const paid = await fetch(`${checkout.json.url}/pay`, { method: 'POST', redirect: 'manual' });
  if (paid.status !== 303) throw new Error(`sample purchase: the local checkout answered ${paid.status}`);
}
