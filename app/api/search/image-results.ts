/**
 * Icon results as the API sends them: each image's JSON is kept ready in `image_search_items` (migration 0054,
 * exact by triggers), so a page is 48 rows joined into one JSON text, which the API sends as it is (as
 * summary-json.ts does for set pages). Building each object with its set, family, contributor and renditions
 * per search cost about as much PostgreSQL CPU as ranking (2.3 ms per page). Loaded again here whichever
 * backend ranked them: `image_search_items` holds only ready images of visible sets, so an image whose set is no
 * longer visible, or which is not ready, is not shown. Keys in the order of `imageHitSchema` (app/api/schemas.ts).
 */
import { sql, type RawBuilder } from 'kysely';
import type { ApiDb } from '../tables.ts';
import type { ImageSearchHit } from './backend.ts';

/**
 * The statement building the JSON array (`items`) of the images of `hits`, a relation of (id, score, ord), in
 * `ord` order. The stored JSON is each object but its closing brace: the score goes in as the last key. Rendition `url`s are stored as `"url":"<object key>"` and become
 * `<base>/<object key>` as AssetUrls.of builds them: rendition keys hold only characters encodeURIComponent
 * keeps, and the replaced text can only be that key (inside a JSON string every `"` is escaped; see
 * summary-json.ts). PostgreSQL search runs it inside its own statement (postgres.ts, searchImagesJson), other
 * backends through imageHitsJson.
 */
export function imageHitsItems(assetsBase: string, hits: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`
    select replace('[' || coalesce(string_agg(s.item || ',"score":' || to_json(h.score) || '}', ',' order by h.ord), '') || ']',
                   '"url":"', ${`"url":"${assetsBase}/`}::text) as items
    from ${hits} as h
    join image_search_items s on s.image_id = h.id
  `;
}

/** A JSON array of the hits' images in hit order. */
export async function imageHitsJson(db: ApiDb, assetsBase: string, hits: readonly ImageSearchHit[]): Promise<string> {
  if (hits.length === 0) return '[]';
  const relation = sql`unnest(${hits.map((hit) => hit.imageId)}::uuid[], ${hits.map((hit) => hit.score)}::float8[]) with ordinality`;
  const { rows } = await sql<{ items: string }>`${imageHitsItems(assetsBase, sql`(select * from ${relation} as u(id, score, ord))`)}`.execute(db);
  return rows[0]!.items;
}
