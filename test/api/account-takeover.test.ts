/**
 * Account takeover through sign-up. Sign-up creates an unverified account at once, with the password of
 * whoever typed the address: that must not let someone who does not own the mailbox hold the address (account
 * pre-hijacking: the mailbox's owner claims it through a mailed link, and unverified accounts expire), use
 * sign-up to mail an address over and over, or feed the ingestion pipeline. Real PostgreSQL; mail through
 * production's SES sender to the local SES stand-in.
 */
import { expect } from 'chai';
import { sql } from 'kysely';
import { pino } from 'pino';
import { createApp } from '../../app/api/app.ts';
import { purgeExpiredAuthRows } from '../../app/api/auth/housekeeping.ts';
import { apiDb } from '../../app/api/tables.ts';
import { SesSender } from '../../app/api/mail/sender.ts';
import { AUTH_RATE_LIMIT, UPLOAD_RATE_LIMIT } from '../../core/limits.ts';
import { createS3Client } from '../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../../scripts/local/aws-resources.ts';
import { startSesStandIn, type SesStandIn } from '../../scripts/local/ses-standin.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';
import { ApiClient } from '../api/client.ts';
import { serveOnLocalPort, type LocalServer } from '../support/local-server.ts';

const LINK_ORIGIN = 'http://shop.example.test';

describe('account takeover through sign-up', function () {
  this.timeout(60_000);
  let database: FreshDatabase;
  let ses: SesStandIn;
  let sender: SesSender;
  let server: LocalServer | undefined;
  let url: string;
  const client = () => new ApiClient(url);
  const mailsTo = (address: string) => ses.mails.filter((mail) => mail.to.includes(address));
  const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;
  const signUp = (body: { email: string; password: string; displayName: string; role: 'buyer' | 'contributor'; slug?: string }) =>
    client().post('/api/auth/signup', body);
  const signedIn = async (email: string, password: string) => {
    const session = client();
    expect((await session.post('/api/auth/signin', { email, password })).status).to.equal(200);
    return session;
  };
  /** Makes the account look as if it had signed up `hours` ago. */
  const age = (email: string, hours: number) =>
    sql`update accounts set created_at = now() - make_interval(hours => ${hours}) where lower(email) = ${email}`.execute(database.db);

  before(async () => {
    database = await freshDatabase();
    ses = await startSesStandIn();
    sender = new SesSender({ from: 'Marketplace <no-reply@shop.example.test>', region: 'us-east-1', endpoint: ses.url, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });

  // A new app for each test, so each starts with production's per-client limits unspent.
  beforeEach(async () => {
    server = await serveOnLocalPort(createApp({
      db: database.db,
      s3: createS3Client({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' }),
      buckets: LOCAL_BUCKETS,
      assetsBaseUrl: 'http://127.0.0.1:9/assets',
      logger: pino({ level: 'silent' }),
      secureCookies: false,
      // Production's limits: what an attacker from one address gets.
      rateLimits: { auth: AUTH_RATE_LIMIT, upload: UPLOAD_RATE_LIMIT },
      validateResponses: true,
      mail: { sender, linkOrigin: LINK_ORIGIN },
    }));
    url = server.url;
  });

  afterEach(async () => {
    await server?.close();
  });

  after(async () => {
    sender?.close();
    await ses?.close();
    await database?.destroy();
  });

  it('pre-hijacking: the owner of an address squatted by an unverified sign-up can still take it over through their mailbox', async () => {
    const victim = 'victim@example.test';
    const squatterPassword = 'squatter knows this passphrase 1';
    const ownerPassword = 'the real owner chose this one 22';
    // Someone who does not own the mailbox signs up first, as a contributor, and can sign in at once.
    const squat = await client().post('/api/auth/signup', { email: victim, password: squatterPassword, displayName: 'Victim Studio', role: 'contributor', slug: 'victim-studio' });
    expect(squat.status).to.equal(202);
    expect((await client().post('/api/auth/signin', { email: victim, password: squatterPassword })).json.account.emailVerified).to.equal(false);

    // The real owner signs up later and follows what their mailbox receives.
    expect((await client().post('/api/auth/signup', { email: victim, password: ownerPassword, displayName: 'Real Owner', role: 'buyer' })).status).to.equal(202);
    const latest = mailsTo(victim).at(-1)!;
    for (const link of latest.links) {
      const token = new URL(link).searchParams.get('token');
      // A claim link asks for the password chosen at its sign-up, which the owner knows.
      if (token) await client().post('/api/auth/verify-email', { token, password: ownerPassword });
    }
    // Proving the mailbox must win over the unverified squatter: the owner gets in, the squatter no longer does.
    const owner = await client().post('/api/auth/signin', { email: victim, password: ownerPassword });
    expect(owner.status, `mail to the owner: ${latest.subject} ${JSON.stringify(latest.links)}`).to.equal(200);
    expect((await client().post('/api/auth/signin', { email: victim, password: squatterPassword })).status).to.equal(401);
  });

  it('mail bombing: repeated sign-ups with a taken address do not mail its owner a notice each time', async () => {
    const owner = 'inbox-owner@example.test';
    expect((await client().post('/api/auth/signup', { email: owner, password: 'owner passphrase that is long 7', displayName: 'Owner', role: 'buyer' })).status).to.equal(202);
    const before = mailsTo(owner).length;
    // Ten attempts from one address, well inside the per-address auth limit (AUTH_RATE_LIMIT).
    for (let i = 0; i < 10; i++) {
      const res = await client().post('/api/auth/signup', { email: owner, password: `attempt number ${i} passphrase`, displayName: 'X', role: 'buyer' });
      expect(res.status).to.equal(202);
    }
    const notices = mailsTo(owner).slice(before).filter((mail) => mail.subject === 'Someone tried to sign up with your address');
    // One notice tells the owner; more is mail an attacker sends in the marketplace's name (and SES reputation).
    expect(notices.length).to.be.at.most(1);
  });

  it('claiming: the squatter is signed out, their name is gone, and no other link of theirs works any more', async () => {
    const victim = 'claimed@example.test';
    const squatterPassword = 'squatter knows this passphrase 2';
    const ownerPassword = 'the real owner chose this one 33';
    const laterPassword = 'squatter tries once more here 4';
    await signUp({ email: victim, password: squatterPassword, displayName: 'Fake Claimed Studio', role: 'contributor', slug: 'claimed-studio' });
    const squatter = await signedIn(victim, squatterPassword);
    const [plain] = mailsTo(victim);
    expect(plain!.subject).to.equal('Confirm your e-mail address');

    await signUp({ email: victim, password: ownerPassword, displayName: 'Claire Owner', role: 'buyer' });
    const claim = mailsTo(victim)[1]!;
    expect(claim.subject).to.equal('Confirm your e-mail address to finish signing up');
    expect(claim.text).not.to.contain(ownerPassword);
    // Stored as an argon2 hash, never the password.
    const pending = await apiDb(database.db).selectFrom('emailVerifications').select('pendingPasswordHash').where('pendingPasswordHash', 'is not', null).execute();
    expect(pending.map((row) => row.pendingPasswordHash)).to.satisfy((hashes: string[]) => hashes.every((hash) => hash.startsWith('$argon2') && !hash.includes(ownerPassword)));
    // A claim voids the first signer's plain link: it would verify the squatter's password.
    const voided = await client().post('/api/auth/verify-email', { token: tokenOf(plain!.links[0]!) });
    expect([voided.status, voided.json.error?.code]).to.deep.equal([400, 'invalid_token']);

    // The squatter signs up once more, so the mailbox holds a claim link with the squatter's password too.
    await signUp({ email: victim, password: laterPassword, displayName: 'Fake Again', role: 'buyer' });
    const later = mailsTo(victim)[2]!;
    expect((await client().post('/api/auth/verify-email', { token: tokenOf(claim.links[0]!), password: ownerPassword })).json).to.deep.equal({ status: 'verified' });

    expect((await squatter.get('/api/auth/me')).json.account).to.equal(null);
    const owner = await signedIn(victim, ownerPassword);
    const me = (await owner.get('/api/auth/me')).json.account;
    expect([me.displayName, me.emailVerified]).to.deep.equal(['Claire Owner', true]);
    const [contributor] = await apiDb(database.db).selectFrom('contributors').select('displayName').where('slug', '=', 'claimed-studio').execute();
    expect(contributor!.displayName).to.equal('Claire Owner');
    // Once claimed, the squatter's later claim link is dead, and so is every password but the owner's.
    const stale = await client().post('/api/auth/verify-email', { token: tokenOf(later.links[0]!) });
    expect([stale.status, stale.json.error?.code]).to.deep.equal([400, 'invalid_token']);
    for (const password of [squatterPassword, laterPassword]) {
      expect((await client().post('/api/auth/signin', { email: victim, password })).status).to.equal(401);
    }
    // The address is now verified: a further sign-up only notifies the owner.
    await signUp({ email: victim, password: laterPassword, displayName: 'Fake Thrice', role: 'buyer' });
    expect(mailsTo(victim).at(-1)!.subject).to.equal('Someone tried to sign up with your address');
  });

  it("a second claim link: the squatter's claim link in the owner's mailbox gives the account to nobody; the owner's own works", async () => {
    const victim = 'replanted@example.test';
    const squatterPassword = 'squatter knows this passphrase 5';
    const ownerPassword = 'the real owner chose this one 66';
    const plantedPassword = 'squatter plants a second claim 7';
    await signUp({ email: victim, password: squatterPassword, displayName: 'Owner Name', role: 'buyer' });
    await signUp({ email: victim, password: ownerPassword, displayName: 'Owner Name', role: 'buyer' });
    const own = mailsTo(victim).at(-1)!;
    // After the owner's sign-up the squatter signs up again, with the owner's name: the newest mail is theirs.
    await signUp({ email: victim, password: plantedPassword, displayName: 'Owner Name', role: 'buyer' });
    const planted = mailsTo(victim).at(-1)!;
    expect([own.subject, planted.subject]).to.deep.equal(Array(2).fill('Confirm your e-mail address to finish signing up'));
    expect(planted.text).to.contain('enter the password you just chose');

    // The owner opens the newest mail: without a password, or with their own, the planted link does nothing.
    const verifiedAt = async () => (await apiDb(database.db).selectFrom('accounts').select('emailVerifiedAt').where('email', '=', victim).executeTakeFirstOrThrow()).emailVerifiedAt;
    for (const body of [{ token: tokenOf(planted.links[0]!) }, { token: tokenOf(planted.links[0]!), password: ownerPassword }]) {
      const refused = await client().post('/api/auth/verify-email', body);
      expect([refused.status, refused.json.error?.code]).to.deep.equal([401, 'invalid_credentials']);
      expect(refused.json.error.message).to.equal(
        'This link finishes a sign-up: enter the password you chose when you signed up. If you did not just sign up, ignore the link.',
      );
    }
    expect(await verifiedAt()).to.equal(null);
    expect((await client().post('/api/auth/signin', { email: victim, password: plantedPassword })).status).to.equal(401);

    // The owner's own link, with their password, claims the account; the planted one is dead from then on.
    expect((await client().post('/api/auth/verify-email', { token: tokenOf(own.links[0]!), password: ownerPassword })).status).to.equal(200);
    expect(await verifiedAt()).to.not.equal(null);
    await signedIn(victim, ownerPassword);
    for (const password of [squatterPassword, plantedPassword]) expect((await client().post('/api/auth/signin', { email: victim, password })).status).to.equal(401);
    expect((await client().post('/api/auth/verify-email', { token: tokenOf(planted.links[0]!), password: plantedPassword })).status).to.equal(400);
  });

  it('expiry: an unverified account past the link lifetime gives its address to the next sign-up', async () => {
    const email = 'expired-squat@example.test';
    const squatterPassword = 'squatter knows this passphrase 5';
    const ownerPassword = 'the real owner chose this one 66';
    await signUp({ email, password: squatterPassword, displayName: 'Old Squat', role: 'contributor', slug: 'old-squat' });
    const squatter = await signedIn(email, squatterPassword);
    await age(email, 47);
    // Within the lifetime the account stands (the mailbox may still claim it).
    await signUp({ email, password: ownerPassword, displayName: 'Owner', role: 'buyer' });
    expect(mailsTo(email).at(-1)!.subject).to.equal('Confirm your e-mail address to finish signing up');
    await age(email, 49);
    await signUp({ email, password: ownerPassword, displayName: 'Owner', role: 'buyer' });
    // A new account: an ordinary verification mail, the owner's password and role; the squatter's session is gone.
    expect(mailsTo(email).at(-1)!.subject).to.equal('Confirm your e-mail address');
    expect((await squatter.get('/api/auth/me')).json.account).to.equal(null);
    expect((await client().post('/api/auth/signin', { email, password: squatterPassword })).status).to.equal(401);
    const owner = await signedIn(email, ownerPassword);
    expect((await owner.get('/api/auth/me')).json.account).to.include({ displayName: 'Owner', role: 'buyer', contributor: null, emailVerified: false });
    // Its slug is free again.
    expect(await apiDb(database.db).selectFrom('contributors').select('id').where('slug', '=', 'old-squat').executeTakeFirst()).to.equal(undefined);
  });

  it('expiry: the scheduled purge deletes stale unverified accounts, and keeps verified, recent and referenced ones', async () => {
    const password = 'a passphrase for the purge 777';
    for (const name of ['stale', 'recent', 'verified', 'referenced']) {
      await signUp({ email: `purge-${name}@example.test`, password, displayName: name, role: 'contributor', slug: `purge-${name}` });
    }
    await sql`update accounts set email_verified_at = now() where email = 'purge-verified@example.test'`.execute(database.db);
    // An unverified buyer who started a checkout: the checkout must keep its account.
    await sql`insert into checkouts (account_id, currency, total_cents) select id, 'USD', 500 from accounts where email = 'purge-referenced@example.test'`.execute(database.db);
    for (const name of ['stale', 'verified', 'referenced']) await age(`purge-${name}@example.test`, 49);

    // Where no mail is sent, no account can be verified: none expires.
    expect((await purgeExpiredAuthRows(apiDb(database.db), { expireUnverifiedAccounts: false })).unverifiedAccounts).to.equal(0);
    const counts = await purgeExpiredAuthRows(apiDb(database.db), { expireUnverifiedAccounts: true });
    expect(counts.unverifiedAccounts).to.equal(1);
    const left = await sql<{ email: string }>`select email from accounts where email like 'purge-%' order by email`.execute(database.db);
    expect(left.rows.map((row) => row.email)).to.deep.equal(['purge-recent@example.test', 'purge-referenced@example.test', 'purge-verified@example.test']);
    const slugs = await sql<{ slug: string }>`select slug from contributors where slug like 'purge-%' order by slug`.execute(database.db);
    expect(slugs.rows.map((row) => row.slug)).to.deep.equal(['purge-recent', 'purge-referenced', 'purge-verified']);
  });

  it('mail bombing: verification mails to one address stop after a few an hour, answered the same; a new window sends again', async () => {
    const email = 'resend-bomb@example.test';
    const password = 'resend bomb passphrase 8888';
    await signUp({ email, password, displayName: 'R', role: 'buyer' });
    const session = await signedIn(email, password);
    for (let i = 0; i < 5; i++) {
      const res = await session.post('/api/auth/verify-email/resend');
      expect([res.status, res.json]).to.deep.equal([202, { status: 'verification_sent' }]);
    }
    // Sign-up's mail and two resends: ACCOUNT_MAIL_LIMITS.verification.
    expect(mailsTo(email).length).to.equal(3);
    // Sign-ups with the address (claims) count against the same limit.
    await signUp({ email, password: 'another passphrase for it 9', displayName: 'R2', role: 'buyer' });
    expect(mailsTo(email).length).to.equal(3);
    await sql`update account_mail_throttle set window_started_at = now() - interval '61 minutes'`.execute(database.db);
    await session.post('/api/auth/verify-email/resend');
    expect(mailsTo(email).length).to.equal(4);
  });

  it('mail bombing: the "someone tried" notice goes again once its day is over', async () => {
    const owner = 'daily-notice@example.test';
    await signUp({ email: owner, password: 'daily notice passphrase 1234', displayName: 'D', role: 'buyer' });
    await sql`update accounts set email_verified_at = now() where email = ${owner}`.execute(database.db);
    const notices = () => mailsTo(owner).filter((mail) => mail.subject === 'Someone tried to sign up with your address').length;
    for (let i = 0; i < 3; i++) await signUp({ email: owner, password: `attempt ${i} for the notice pass`, displayName: 'X', role: 'buyer' });
    expect(notices()).to.equal(1);
    await sql`update account_mail_throttle set window_started_at = now() - interval '23 hours'`.execute(database.db);
    await signUp({ email: owner, password: 'attempt 4 for the notice pass', displayName: 'X', role: 'buyer' });
    expect(notices()).to.equal(1);
    await sql`update account_mail_throttle set window_started_at = now() - interval '25 hours'`.execute(database.db);
    await signUp({ email: owner, password: 'attempt 5 for the notice pass', displayName: 'X', role: 'buyer' });
    expect(notices()).to.equal(2);
  });

  it('an unverified contributor account (anyone with any address) cannot start uploads for the pipeline to ingest', async () => {
    const throwaway = client();
    expect((await throwaway.post('/api/auth/signup', { email: 'throwaway-1@example.test', password: 'throwaway passphrase 12345', displayName: 'T', role: 'contributor', slug: 'throwaway-1' })).status).to.equal(202);
    const signedIn = await throwaway.post('/api/auth/signin', { email: 'throwaway-1@example.test', password: 'throwaway passphrase 12345' });
    expect(signedIn.json.account.emailVerified).to.equal(false);
    const draft = await throwaway.post('/api/drafts', {});
    expect([draft.status, draft.json.error?.code]).to.deep.equal([403, 'forbidden']);
    expect(await apiDb(database.db).selectFrom('uploadDrafts').select('id').execute()).to.deep.equal([]);

    // Following the mailed link opens uploads to the same session.
    const [mail] = mailsTo('throwaway-1@example.test');
    expect((await client().post('/api/auth/verify-email', { token: tokenOf(mail!.links[0]!) })).status).to.equal(200);
    const started = await throwaway.post('/api/drafts', {});
    expect(started.status, JSON.stringify(started.json)).to.equal(201);

    // A draft started before the rule, by an account still unverified, gets no new upload form and is not published.
    await sql`update accounts set email_verified_at = null where email = 'throwaway-1@example.test'`.execute(database.db);
    const renewal = await throwaway.post(`/api/drafts/${started.json.draft.id}/upload`, {});
    expect([renewal.status, renewal.json.error?.code]).to.deep.equal([403, 'forbidden']);
    const publish = await throwaway.post(`/api/products/${started.json.draft.productId}/publish`, {});
    expect([publish.status, publish.json.error?.code]).to.deep.equal([403, 'forbidden']);
    // Verified again, publishing gets past the gate, to the set's own state (nothing uploaded: no set yet).
    await sql`update accounts set email_verified_at = now() where email = 'throwaway-1@example.test'`.execute(database.db);
    const again = await throwaway.post(`/api/products/${started.json.draft.productId}/publish`, {});
    expect([again.status, again.json.error?.code]).to.deep.equal([404, 'not_found']);
  });
});
