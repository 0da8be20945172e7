/**
 * Words of hidden sets never steer or show up in search (migration 0047). Migration 0021 made typo correction learn
 * words only from visible sets, but migration 0027 added image tags to search_words on every insert and
 * retag, whatever the set's visibility, and catalog_set_words (what hiding removes) leaves image tags out.
 */
import { expect } from 'chai';
import { sql } from 'kysely';
import { createAccount } from '../../app/api/auth/accounts.ts';
import { apiDb } from '../../app/api/tables.ts';
import { seedCatalog } from '../../app/api/dev/seed.ts';
import type { ApiClient } from '../api/client.ts';
import { startImageStack, type ImageStack } from '../api/image-stack.ts';

describe('search words of hidden sets', function () {
  let stack: ImageStack;
  let owner: ApiClient;
  let hidden: { productId: string; imageIds: string[] };

  before(async function () {
    this.timeout(60_000);
    stack = await startImageStack();
    await seedCatalog(stack.db, [{ title: 'Weather Icons', imageTitles: ['Sun', 'Cloud'] }]);
    owner = await stack.signUp('contributor', 'secret-studio');
    const contributorId = (await owner.get('/api/auth/me')).json.account.contributor.id as string;
    const [seeded] = await seedCatalog(
      stack.db,
      [{ title: 'Unreleased Drafts', imageTitles: ['Airship', 'Balloon'], imageTags: [['zeppelin'], []], published: false }],
      { id: contributorId },
    );
    hidden = seeded!;
  });
  after(async function () {
    this.timeout(30_000);
    await stack?.stop();
  });

  const search = async (q: string) => {
    const res = await stack.anonymous().get(`/api/search?q=${encodeURIComponent(q)}`);
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    return res.json as { items: Array<{ title: string }>; correctedText: string | null; suggestions: string[] };
  };

  it('an unpublished set\'s image tag is never offered as a typo correction (correctedText)', async () => {
    // "or" keeps the visible word's hits, so the correction is reported: it must not name the hidden tag.
    const page = await search('sun or zeppelinn');
    expect(page.items.map((item) => item.title)).to.include('Sun');
    expect(page.correctedText ?? '').not.to.contain('zeppelin');
    const words = await sql<{ word: string }>`select word from search_words where word = 'zeppelin'`.execute(stack.db);
    expect(words.rows).to.deep.equal([]);
  });

  it("a contributor's retag of an image in an unpublished set does not reach the correction word list", async () => {
    const res = await owner.patch(`/api/products/${hidden.productId}/images/${hidden.imageIds[1]}`, { tags: ['hindenburg'] });
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    const page = await search('sun or hindenburgg');
    expect(page.items.map((item) => item.title)).to.include('Sun');
    expect(page.correctedText ?? '').not.to.contain('hindenburg');
  });

  it("a set's image tags leave the correction word list when an admin blocks the set", async () => {
    const [pulled] = await seedCatalog(stack.db, [{ title: 'Aviation', imageTitles: ['Blimp'], imageTags: [['dirigible']] }]);
    expect((await search('dirigible')).items.map((item) => item.title)).to.deep.equal(['Blimp']);
    const admin = await createAccount(apiDb(stack.db), { role: 'admin', email: 'mod@example.test', password: 'correct horse battery', displayName: 'Mod' });
    await sql`insert into product_blocks (product_id, reason, blocked_by) values (${pulled!.productId}, 'stolen art', ${admin.id})`.execute(stack.db);
    const page = await search('sun or dirigiblee');
    expect(page.items.map((item) => item.title)).to.include('Sun');
    expect(page.correctedText ?? '').not.to.contain('dirigible');
  });

  it("unpublishing one set does not make search \"correct\" a tag that visible images still carry into another word", async () => {
    await seedCatalog(stack.db, [
      { title: 'Harbour', imageTitles: ['Boat'], imageTags: [['anchor']] },
      { title: 'Fish', imageTitles: ['Anchovy'] },
    ]);
    const [pack] = await seedCatalog(stack.db, [{ title: 'Anchor Pack', imageTitles: ['Rope'] }]);
    expect((await search('anchor')).items.map((item) => item.title)).to.include('Boat');
    await sql`update products set published = false where id = ${pack!.productId}`.execute(stack.db);
    const page = await search('anchor');
    expect(page.correctedText, 'the word typed is a tag of a visible image').to.equal(null);
    expect(page.items.map((item) => item.title)).to.include('Boat');
  });
});
