/**
 * What the image page shows around one image: its neighbours in the set (previous / next in manifest order)
 * and related images from every visible set, ranked by how many keywords (tags and title words, migration
 * 0030) they share with it.
 */
import { sql } from 'kysely';
import type { ApiDb } from '../tables.ts';
import { imageRows, isVisible, withRenditions, type ImageView } from './products.ts';
import type { AssetUrls } from './urls.ts';

export interface Neighbours {
  previous: ImageView | null;
  next: ImageView | null;
}

/**
 * Related images are ranked among at most this many images sharing a keyword: a word as common as "icon"
 * would otherwise rank a whole catalog's worth of rows for one page view.
 */
export const RELATED_CANDIDATES = 1_000;

export interface RelatedImage extends ImageView {
  setTitle: string;
  /** How many keywords it shares with the image asked about. */
  shared: number;
}

/** The images just before and after `image` in its set (any status: the set page lists them all). */
export async function imageNeighbours(
  db: ApiDb,
  urls: AssetUrls,
  image: { productId: string; position: number },
): Promise<Neighbours> {
  const [previous, next] = await Promise.all([
    imageRows(db).where('productId', '=', image.productId).where('position', '<', image.position).orderBy('position', 'desc').limit(1).executeTakeFirst(),
    imageRows(db).where('productId', '=', image.productId).where('position', '>', image.position).orderBy('position').limit(1).executeTakeFirst(),
  ]);
  const found = await withRenditions(db, urls, [previous, next].filter((row) => row !== undefined));
  return {
    previous: previous ? found.find((view) => view.id === previous.id)! : null,
    next: next ? found.find((view) => view.id === next.id)! : null,
  };
}

/**
 * Ready images of visible sets that share a keyword with `imageId`, most shared first, then other sets before
 * the image's own ("More from this set" shows those), then manifest order.
 */
export async function relatedImages(db: ApiDb, urls: AssetUrls, imageId: string, limit: number): Promise<RelatedImage[]> {
  const keywords = sql<string[]>`(select catalog_image_keywords(s.title, s.tags) from images s where s.id = ${imageId})`;
  // Only visible images may take a candidate's place: hidden sets full of a common word would otherwise fill
  // all of them, and visible images sharing that word would drop out of every related list.
  const candidates = db
    .selectFrom('images as c')
    .innerJoin('products as p', 'p.id', 'c.productId')
    .select(['c.id'])
    .where(sql<boolean>`catalog_image_keywords(c.title, c.tags) && ${keywords}`)
    .where('c.id', '<>', imageId)
    .where('c.status', '=', sql.lit('ready'))
    .where(isVisible)
    .limit(RELATED_CANDIDATES);
  const rows = await db
    .selectFrom('images as i')
    .innerJoin('products as p', 'p.id', 'i.productId')
    .select([
      'i.id',
      'i.productId',
      'i.position',
      'i.title',
      'i.tags',
      'i.width',
      'i.height',
      'i.status',
      'p.title as setTitle',
      sql<number>`cardinality(array(select unnest(catalog_image_keywords(i.title, i.tags)) intersect select unnest(${keywords})))`.as('shared'),
      sql<boolean>`p.id = (select s.product_id from images s where s.id = ${imageId})`.as('sameSet'),
    ])
    .where('i.id', 'in', candidates)
    .where(isVisible)
    .orderBy('shared', 'desc')
    .orderBy('sameSet')
    .orderBy('i.productId')
    .orderBy('i.position')
    .limit(limit)
    .execute();
  const views = await withRenditions(
    db,
    urls,
    rows.map(({ setTitle: _title, shared: _shared, sameSet: _same, ...row }) => row),
  );
  return views.map((view, index) => ({ ...view, setTitle: rows[index]!.setTitle, shared: rows[index]!.shared }));
}
