import { expect } from 'chai';
import { sql, type Kysely } from 'kysely';
import { randomUUID, createHash } from 'node:crypto';
import {
  acceptUpload,
  CatalogStateError,
  catalogMigrations,
  createContributor,
  failPendingImages,
  findContributor,
  findFamily,
  findUpload,
  getImageForProcessing,
  getProduct,
  listProductImages,
  markImageFailed,
  markImageReady,
  migrateDown,
  migrateToLatest,
  migrationStatus,
  pendingImageIds,
  productProgress,
  recordUploadReceived,
  rejectUpload,
  sampleFamilyImages,
  setFamilyPreview,
  setProductFailed,
  setProductReady,
  type AcceptedImageInput,
  type Contributor,
  type Database,
  type RenditionRecord,
} from '../../core/catalog/index.ts';
import type { Manifest } from '../../core/manifest/schema.ts';
import { freshDatabase, type FreshDatabase } from '../support/postgres.ts';

function manifestFor(familySlug: string, files: string[], title = 'Weather Line Icons'): Manifest {
  return {
    manifestVersion: 1,
    product: {
      kind: 'icon-set',
      title,
      description: 'Weather icons drawn on a 24 px grid with a 1.5 px stroke.',
      family: { slug: familySlug, title: 'Weather' },
      license: 'standard',
      tags: ['weather', 'forecast', 'clouds'],
      price: { amount: 900, currency: 'USD' },
    },
    images: files.map((file) => ({ file, title: file.replace(/\.svg$/, ''), tags: ['line'] })),
  };
}

function imagesFor(manifest: Manifest): AcceptedImageInput[] {
  return manifest.images.map((image, index) => ({
    index,
    file: image.file,
    title: image.title,
    tags: image.tags ?? [],
    width: 24,
    height: 24,
    sha256: createHash('sha256').update(image.file).digest('hex'),
    originalKey: `originals/${image.file}`,
  }));
}

function renditionsFor(imageId: string, bytes = 1000): RenditionRecord[] {
  return [32, 64].flatMap((size) =>
    (['png', 'webp'] as const).map((format) => ({
      size,
      format,
      objectKey: `previews/${imageId}/${size}.${format}`,
      width: size,
      height: size,
      bytes,
    })),
  );
}

async function countRows(db: Kysely<Database>, table: keyof Database): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.cast<number>(eb.fn.countAll(), 'integer').as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

describe('core/catalog', function () {
  let fresh: FreshDatabase;
  let db: Kysely<Database>;
  let contributor: Contributor;

  before(async function () {
    fresh = await freshDatabase();
    db = fresh.db;
    contributor = await createContributor(db, { slug: 'ada', displayName: 'Ada Icons', email: 'Ada@Example.com' });
  });

  after(async function () {
    await fresh?.destroy();
  });

  /** Records an upload and accepts it with `files`; returns the acceptance. */
  async function acceptedUpload(familySlug: string, files: string[], title?: string) {
    const uploadId = randomUUID();
    await recordUploadReceived(db, {
      uploadId,
      contributorId: contributor.id,
      objectKey: `uploads/${contributor.id}/${uploadId}.zip`,
    });
    const manifest = manifestFor(familySlug, files, title);
    const accepted = await acceptUpload(db, { uploadId, contributorId: contributor.id, manifest, images: imagesFor(manifest) });
    return { uploadId, ...accepted };
  }

  describe('migrations', function () {
    it('run up, down one step at a time, and up again', async function () {
      const own = await freshDatabase();
      try {
        const names = Object.keys(catalogMigrations);
        const tableExists = async (name: string) =>
          (await sql<{ oid: string | null }>`select to_regclass(${name})::text as oid`.execute(own.db)).rows[0]?.oid !== null;

        expect((await migrationStatus(own.db)).every((m) => m.executedAt instanceof Date)).to.equal(true);
        expect(await migrateToLatest(own.db)).to.deep.equal([], 'nothing pending in a fresh database');

        // Down one step at a time, newest first (later issues append their own migrations).
        for (let i = names.length - 1; i >= 0; i--) {
          expect(await migrateDown(own.db)).to.equal(names[i]);
          const executed = (await migrationStatus(own.db)).map((m) => m.executedAt !== undefined);
          expect(executed).to.deep.equal(names.map((_, j) => j < i));
          if (names[i] === '0002-product-search') {
            expect(await tableExists('products_search_idx')).to.equal(false);
            expect(await tableExists('products')).to.equal(true);
          }
        }
        for (const table of ['contributors', 'uploads', 'families', 'products', 'images', 'renditions']) {
          expect(await tableExists(table), table).to.equal(false);
        }
        expect(await migrateDown(own.db)).to.equal(undefined);

        expect(await migrateToLatest(own.db)).to.deep.equal(names);
        expect(await tableExists('renditions')).to.equal(true);
        expect(await tableExists('products_search_idx')).to.equal(true);
        const states = await migrationStatus(own.db);
        expect(states.map((m) => m.name)).to.deep.equal(names);
        expect(states.every((m) => typeof m.destructive === 'boolean')).to.equal(true);
        expect(states.slice(0, 2).map((m) => m.destructive)).to.deep.equal([false, false]);
      } finally {
        await own.destroy();
      }
    });
  });

  describe('contributors', function () {
    it('finds a contributor by id and refuses a second account for the same address in another case', async function () {
      expect((await findContributor(db, contributor.id))?.slug).to.equal('ada');
      expect(await findContributor(db, 'not-a-uuid')).to.equal(undefined);
      let error: unknown;
      try {
        await createContributor(db, { slug: 'ada-2', displayName: 'Ada again', email: 'ada@example.COM' });
      } catch (caught) {
        error = caught;
      }
      expect(String(error)).to.match(/contributors_email_lower_key/);
    });

    it('accepts ordinary addresses and refuses malformed ones', async function () {
      const sam = await createContributor(db, { slug: 'sam', displayName: 'Sam', email: 'sam.s+icons@studios.example' });
      expect(sam.email).to.equal('sam.s+icons@studios.example');
      for (const email of ['no-at-sign', 'two@@example.com', 'space @example.com']) {
        let error: unknown;
        try {
          await createContributor(db, { slug: `bad-${email.length}`, displayName: 'Bad', email });
        } catch (caught) {
          error = caught;
        }
        expect(String(error), email).to.match(/contributors_email_format/);
      }
    });
  });

  describe('recordUploadReceived', function () {
    it('is idempotent and refuses an id reused for another object', async function () {
      const uploadId = randomUUID();
      const objectKey = `uploads/${contributor.id}/${uploadId}.zip`;
      const first = await recordUploadReceived(db, { uploadId, contributorId: contributor.id, objectKey });
      const again = await recordUploadReceived(db, { uploadId, contributorId: contributor.id, objectKey });
      expect(first.created).to.equal(true);
      expect(again.created).to.equal(false);
      expect(again.upload).to.deep.equal(first.upload);
      expect(first.upload.status).to.equal('received');
      expect(first.upload.problems).to.deep.equal([]);

      let error: unknown;
      try {
        await recordUploadReceived(db, { uploadId, contributorId: contributor.id, objectKey: `${objectKey}.other` });
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(CatalogStateError);
    });
  });

  describe('acceptUpload', function () {
    it('writes the family, the product, pending images and the accepted upload', async function () {
      const accepted = await acceptedUpload('accept-basic', ['sun.svg', 'line/cloud-rain.svg']);
      expect(accepted.created).to.equal(true);
      expect(accepted.images.map((image) => [image.index, image.file])).to.deep.equal([
        [0, 'sun.svg'],
        [1, 'line/cloud-rain.svg'],
      ]);

      const product = await getProduct(db, accepted.productId);
      expect(product).to.include({
        familyId: accepted.familyId,
        uploadId: accepted.uploadId,
        kind: 'icon-set',
        license: 'standard',
        priceCents: 900,
        currency: 'USD',
        status: 'processing',
        published: false,
        imageCount: 2,
        zipKey: null,
      });
      expect(product?.tags).to.deep.equal(['weather', 'forecast', 'clouds']);
      expect((await findFamily(db, accepted.familyId))?.title).to.equal('Weather');

      const upload = await findUpload(db, accepted.uploadId);
      expect(upload).to.include({ status: 'accepted', productId: accepted.productId });
      expect(await pendingImageIds(db, accepted.productId)).to.deep.equal(accepted.images.map((i) => i.imageId));

      const forProcessing = await getImageForProcessing(db, accepted.images[1]!.imageId);
      expect(forProcessing).to.include({
        productId: accepted.productId,
        familyId: accepted.familyId,
        kind: 'icon-set',
        filePath: 'line/cloud-rain.svg',
        originalKey: 'originals/line/cloud-rain.svg',
        status: 'pending',
        width: 24,
      });
    });

    it('returns the same product, family and image ids when the upload is accepted again', async function () {
      const first = await acceptedUpload('accept-twice', ['a.svg', 'b.svg', 'c.svg']);
      const before = await Promise.all((['products', 'families', 'images'] as const).map((t) => countRows(db, t)));

      const manifest = manifestFor('accept-twice', ['a.svg', 'b.svg', 'c.svg']);
      const again = await acceptUpload(db, {
        uploadId: first.uploadId,
        contributorId: contributor.id,
        manifest,
        images: imagesFor(manifest),
      });
      const after = await Promise.all((['products', 'families', 'images'] as const).map((t) => countRows(db, t)));

      expect(again.created).to.equal(false);
      expect(again.productId).to.equal(first.productId);
      expect(again.familyId).to.equal(first.familyId);
      expect(again.images).to.deep.equal(first.images);
      expect(after).to.deep.equal(before);
    });

    it('creates one product when two deliveries of the same upload race', async function () {
      const uploadId = randomUUID();
      await recordUploadReceived(db, {
        uploadId,
        contributorId: contributor.id,
        objectKey: `uploads/${contributor.id}/${uploadId}.zip`,
      });
      const manifest = manifestFor('raced', ['a.svg', 'b.svg']);
      const input = { uploadId, contributorId: contributor.id, manifest, images: imagesFor(manifest) };
      // Separate pooled connections, so the two transactions really overlap.
      const [one, two] = await Promise.all([acceptUpload(db, input), acceptUpload(db, input)]);

      expect([one.created, two.created].sort()).to.deep.equal([false, true]);
      expect(two.productId).to.equal(one.productId);
      expect(two.images).to.deep.equal(one.images);
      const products = await db.selectFrom('products').select('id').where('uploadId', '=', uploadId).execute();
      expect(products).to.have.length(1);
    });

    it('writes nothing when any row of the transaction fails', async function () {
      const before = await Promise.all(
        (['products', 'families', 'images', 'renditions'] as const).map((t) => countRows(db, t)),
      );
      const uploadId = randomUUID();
      await recordUploadReceived(db, {
        uploadId,
        contributorId: contributor.id,
        objectKey: `uploads/${contributor.id}/${uploadId}.zip`,
      });
      // A brand-new family: its insert runs first and must be rolled back with the rest.
      const manifest = manifestFor('never-written', ['one.svg', 'two.svg', 'three.svg']);
      const images = imagesFor(manifest);
      images[2] = { ...images[2]!, file: 'one.svg' }; // violates unique (product_id, file_path) on the last insert

      let error: unknown;
      try {
        await acceptUpload(db, { uploadId, contributorId: contributor.id, manifest, images });
      } catch (caught) {
        error = caught;
      }
      expect(String(error)).to.match(/images_product_file_path_key/);

      const after = await Promise.all(
        (['products', 'families', 'images', 'renditions'] as const).map((t) => countRows(db, t)),
      );
      expect(after).to.deep.equal(before);
      const family = await db.selectFrom('families').select('id').where('slug', '=', 'never-written').executeTakeFirst();
      expect(family).to.equal(undefined);
      expect(await findUpload(db, uploadId)).to.include({ status: 'received', productId: null });

      // The same upload, corrected, is then accepted normally.
      const fixed = await acceptUpload(db, { uploadId, contributorId: contributor.id, manifest, images: imagesFor(manifest) });
      expect(fixed.created).to.equal(true);
      expect(fixed.images).to.have.length(3);
    });

    it('puts sets with the same slug in one family, keeping the first title', async function () {
      const first = await acceptedUpload('shared-family', ['a.svg'], 'First Set');
      const uploadId = randomUUID();
      await recordUploadReceived(db, {
        uploadId,
        contributorId: contributor.id,
        objectKey: `uploads/${contributor.id}/${uploadId}.zip`,
      });
      const manifest = manifestFor('shared-family', ['b.svg'], 'Second Set');
      manifest.product.family.title = 'A Different Title';
      const second = await acceptUpload(db, { uploadId, contributorId: contributor.id, manifest, images: imagesFor(manifest) });
      expect(second.familyId).to.equal(first.familyId);
      expect((await findFamily(db, first.familyId))?.title).to.equal('Weather');
    });

    it('refuses an upload that was never recorded or that was rejected', async function () {
      const manifest = manifestFor('refused', ['a.svg']);
      const attempt = async (uploadId: string) => {
        try {
          await acceptUpload(db, { uploadId, contributorId: contributor.id, manifest, images: imagesFor(manifest) });
        } catch (error) {
          return error;
        }
        return undefined;
      };
      expect(await attempt(randomUUID())).to.be.instanceOf(CatalogStateError);

      const uploadId = randomUUID();
      await recordUploadReceived(db, {
        uploadId,
        contributorId: contributor.id,
        objectKey: `uploads/${contributor.id}/${uploadId}.zip`,
      });
      await rejectUpload(db, uploadId, [{ message: 'bad' }]);
      expect(await attempt(uploadId)).to.be.instanceOf(CatalogStateError);
    });
  });

  describe('rejectUpload', function () {
    it('stores every problem and writes no product, family or image', async function () {
      const before = await Promise.all((['products', 'families', 'images'] as const).map((t) => countRows(db, t)));
      const uploadId = randomUUID();
      await recordUploadReceived(db, {
        uploadId,
        contributorId: contributor.id,
        objectKey: `uploads/${contributor.id}/${uploadId}.zip`,
      });
      const problems = [
        { field: 'images[3].file', message: '"line/sunn.svg" is listed but not in the archive' },
        { file: 'extra.svg', message: 'is in the archive but not listed in manifest.json' },
      ];
      expect(await rejectUpload(db, uploadId, problems)).to.equal(true);

      expect(await findUpload(db, uploadId)).to.deep.include({ status: 'rejected', productId: null, problems });
      const after = await Promise.all((['products', 'families', 'images'] as const).map((t) => countRows(db, t)));
      expect(after).to.deep.equal(before);
    });

    it('leaves an accepted upload alone', async function () {
      const accepted = await acceptedUpload('reject-accepted', ['a.svg']);
      expect(await rejectUpload(db, accepted.uploadId, [{ message: 'late' }])).to.equal(false);
      expect(await findUpload(db, accepted.uploadId)).to.include({ status: 'accepted' });
    });
  });

  describe('image processing', function () {
    it('drops rows above the kind’s preview size when an image is rendered again: those sizes are private now', async function () {
      const accepted = await acceptedUpload('legacy-full-size', ['a.svg']);
      const imageId = accepted.images[0]!.imageId;
      // An icon's 512 px row from before previews stopped at 256 px (its object was public).
      await db.insertInto('renditions').values({ imageId, size: 512, format: 'png', objectKey: `previews/${imageId}/512.png`, width: 512, height: 512, bytes: 1 }).execute();
      await markImageReady(db, imageId, renditionsFor(imageId));
      const sizes = (await db.selectFrom('renditions').select('size').where('imageId', '=', imageId).execute()).map((row) => row.size);
      expect([...new Set(sizes)].sort((a, b) => a - b)).to.deep.equal([32, 64]);
    });

    it('markImageReady is idempotent: a redelivery updates the renditions instead of duplicating them', async function () {
      const accepted = await acceptedUpload('ready-twice', ['a.svg']);
      const imageId = accepted.images[0]!.imageId;
      await markImageReady(db, imageId, renditionsFor(imageId, 1000));
      await markImageReady(db, imageId, renditionsFor(imageId, 1234));

      const rows = await db.selectFrom('renditions').selectAll().where('imageId', '=', imageId).execute();
      expect(rows).to.have.length(4);
      expect(rows.every((row) => row.bytes === 1234)).to.equal(true);
      expect((await getImageForProcessing(db, imageId))?.status).to.equal('ready');

      const unknown = randomUUID();
      let error: unknown;
      try {
        await markImageReady(db, unknown, renditionsFor(unknown));
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(CatalogStateError);
      expect(await getImageForProcessing(db, unknown)).to.equal(undefined);

      // A late failure report must not undo the finished image.
      expect(await markImageFailed(db, imageId, 'timed out')).to.equal(false);
      expect((await getImageForProcessing(db, imageId))?.status).to.equal('ready');
    });

    it('rolls back the status when a rendition row is invalid', async function () {
      const accepted = await acceptedUpload('ready-invalid', ['a.svg']);
      const imageId = accepted.images[0]!.imageId;
      const bad = renditionsFor(imageId).map((r, i) => (i === 3 ? { ...r, bytes: 0 } : r));
      let error: unknown;
      try {
        await markImageReady(db, imageId, bad);
      } catch (caught) {
        error = caught;
      }
      expect(String(error)).to.match(/renditions_dimensions_positive/);
      expect((await getImageForProcessing(db, imageId))?.status).to.equal('pending');
      expect(await db.selectFrom('renditions').select('imageId').where('imageId', '=', imageId).execute()).to.have.length(0);
    });

    it('productProgress counts ready, failed and pending images and lists failures in manifest order', async function () {
      const accepted = await acceptedUpload('progress', ['a.svg', 'b.svg', 'c.svg', 'd.svg', 'e.svg']);
      const [a, b, c, d] = accepted.images.map((image) => image.imageId);
      await markImageReady(db, a!, renditionsFor(a!));
      await markImageReady(db, c!, renditionsFor(c!));
      await markImageFailed(db, d!, 'could not be rendered: pixel limit');
      await markImageFailed(db, b!, 'could not be rendered: timeout');

      expect(await productProgress(db, accepted.productId)).to.deep.equal({
        total: 5,
        ready: 2,
        failed: 2,
        pending: 1,
        failures: [
          { file: 'b.svg', reason: 'could not be rendered: timeout' },
          { file: 'd.svg', reason: 'could not be rendered: pixel limit' },
        ],
      });

      expect(await failPendingImages(db, accepted.productId, 'was not rendered after 5 checks')).to.equal(1);
      expect(await productProgress(db, accepted.productId)).to.include({ pending: 0, failed: 3 });
      expect((await listProductImages(db, accepted.productId)).map((i) => i.status)).to.deep.equal([
        'ready',
        'failed',
        'ready',
        'failed',
        'failed',
      ]);
    });
  });

  describe('finishing a set', function () {
    it('setProductReady marks product and upload ready; a failed set stays failed', async function () {
      const ready = await acceptedUpload('finish-ready', ['a.svg']);
      expect(await setProductReady(db, ready.productId, `downloads/${ready.productId}.zip`)).to.equal(true);
      expect(await getProduct(db, ready.productId)).to.include({ status: 'ready', zipKey: `downloads/${ready.productId}.zip` });
      expect(await findUpload(db, ready.uploadId)).to.include({ status: 'ready' });

      const failed = await acceptedUpload('finish-failed', ['a.svg', 'b.svg']);
      const failures = [{ file: 'b.svg', reason: 'could not be rendered: timeout' }];
      expect(await setProductFailed(db, failed.productId, failures)).to.equal(true);
      expect(await setProductReady(db, failed.productId, 'downloads/x.zip')).to.equal(false);
      expect(await getProduct(db, failed.productId)).to.include({ status: 'failed', zipKey: null });
      expect(await findUpload(db, failed.uploadId)).to.deep.include({
        status: 'failed',
        problems: [{ file: 'b.svg', message: 'could not be rendered: timeout' }],
      });
    });

    it('setFamilyPreview stores the keys and bumps the version each time', async function () {
      const accepted = await acceptedUpload('preview-versions', ['a.svg']);
      expect((await findFamily(db, accepted.familyId))?.previewVersion).to.equal(0);
      expect(await setFamilyPreview(db, accepted.familyId, { png: 'p/1.png', webp: 'p/1.webp' })).to.equal(1);
      expect(await setFamilyPreview(db, accepted.familyId, { png: 'p/2.png', webp: 'p/2.webp' })).to.equal(2);
      expect(await findFamily(db, accepted.familyId)).to.deep.include({
        previewVersion: 2,
        previewKeys: { png: 'p/2.png', webp: 'p/2.webp' },
      });
    });
  });

  describe('sampleFamilyImages', function () {
    let familyId: string;
    let eligible: Set<string>;
    let productIds: string[];

    before(async function () {
      // Two published sets of one family with ready images, one pending image, a failed set, an unpublished
      // ready set, a blocked set, and another family.
      const first = await acceptedUpload('sampled', ['a.svg', 'b.svg', 'c.svg', 'd.svg', 'e.svg', 'pending.svg']);
      const second = await acceptedUpload('sampled', ['f.svg', 'g.svg', 'h.svg', 'i.svg', 'j.svg']);
      const failedSet = await acceptedUpload('sampled', ['x.svg']);
      const unpublished = await acceptedUpload('sampled', ['u1.svg', 'u2.svg']);
      const blocked = await acceptedUpload('sampled', ['b1.svg', 'b2.svg']);
      const otherFamily = await acceptedUpload('not-sampled', ['y.svg']);
      familyId = first.familyId;
      productIds = [first.productId, second.productId];
      const ready = [...first.images.slice(0, 5), ...second.images, ...failedSet.images, ...unpublished.images, ...blocked.images, ...otherFamily.images];
      for (const image of ready) await markImageReady(db, image.imageId, renditionsFor(image.imageId));
      await setProductFailed(db, failedSet.productId, [{ file: 'x.svg', reason: 'broken' }]);
      for (const set of [first, second, unpublished, blocked, otherFamily]) await setProductReady(db, set.productId, `sets/${set.productId}.zip`);
      await db.updateTable('products').set({ published: true }).where('id', 'in', [first.productId, second.productId, blocked.productId, otherFamily.productId]).execute();
      // A block leaves `published` as the admin route sets it; the sample must skip blocked sets on its own.
      const admin = await sql<{ id: string }>`
        insert into accounts (email, password_hash, display_name, role) values ('sampler@example.test', '$argon2id$not-a-real-hash', 'Admin', 'admin') returning id
      `.execute(db);
      await sql`insert into product_blocks (product_id, reason, blocked_by) values (${blocked.productId}, 'test', ${admin.rows[0]!.id})`.execute(db);
      eligible = new Set([...first.images.slice(0, 5), ...second.images].map((image) => image.imageId));
    });

    it('draws only ready images of the family’s visible sets (published, ready, not blocked), from every set', async function () {
      const all = await sampleFamilyImages(db, familyId, 100);
      expect(new Set(all.map((image) => image.imageId))).to.deep.equal(eligible);
      expect(new Set(all.map((image) => image.productId))).to.deep.equal(new Set(productIds));
      expect(await sampleFamilyImages(db, familyId, 0)).to.deep.equal([]);
    });

    it('is repeatable with a seed and varies between seeds', async function () {
      const one = await sampleFamilyImages(db, familyId, 4, 'seed-1');
      expect(await sampleFamilyImages(db, familyId, 4, 'seed-1')).to.deep.equal(one);
      const others = await Promise.all(
        ['seed-2', 'seed-3', 'seed-4'].map((seed) => sampleFamilyImages(db, familyId, 4, seed)),
      );
      expect(others.some((sample) => JSON.stringify(sample) !== JSON.stringify(one))).to.equal(true);
    });

    it('picks every eligible image about equally often across seeds', async function () {
      const picks = new Map<string, number>([...eligible].map((id) => [id, 0]));
      const draws = 200;
      const n = 3;
      for (let seed = 0; seed < draws; seed++) {
        for (const image of await sampleFamilyImages(db, familyId, n, String(seed))) {
          picks.set(image.imageId, (picks.get(image.imageId) ?? 0) + 1);
        }
      }
      const expected = (draws * n) / eligible.size; // 60
      // Deterministic (md5 of fixed seeds); bounds are ±40 %, far outside what a uniform draw produces.
      for (const count of picks.values()) expect(count).to.be.within(expected * 0.6, expected * 1.4);
    });
  });

  describe('search document', function () {
    it('indexes title, tags and description with English stemming', async function () {
      const accepted = await acceptedUpload('searchable', ['a.svg'], 'Stormy Skies');
      const match = (query: string) =>
        db
          .selectFrom('products')
          .select('id')
          .where(sql<boolean>`search_document @@ websearch_to_tsquery('english', ${query})`)
          .where('id', '=', accepted.productId)
          .execute();
      expect(await match('sky')).to.have.length(1); // title "Skies", stemmed
      expect(await match('cloud')).to.have.length(1); // tag "clouds"
      expect(await match('grid stroke')).to.have.length(1); // description
      expect(await match('kittens')).to.have.length(0);
    });
  });
});
