/**
 * Icon results as the API sends them, built by PostgreSQL as one JSON text (as summary-json.ts builds set
 * pages: parsing rows in the driver and serialising them again cost more than the query). Loaded and
 * filtered again here: whichever backend ranked them, an image whose set is no longer visible, or which is
 * not ready, is not shown. Keys in the order of `imageHitSchema` (app/api/schemas.ts).
 */
import { sql, type RawBuilder } from 'kysely';
import type { ApiDb } from '../tables.ts';
import type { ImageSearchHit } from './backend.ts';

/**
 * The statement building the JSON array (`items`) of the images of `hits`, a relation of (id, score, ord), in
 * `ord` order. Rendition URLs are `<base>/<object key>` as AssetUrls.of builds them: rendition keys hold only
 * characters encodeURIComponent keeps (see summary-json.ts). PostgreSQL search runs it inside its own
 * statement (postgres.ts, searchImagesJson), other backends through imageHitsJson.
 */
export function imageHitsItems(assetsBase: string, hits: RawBuilder<unknown>): RawBuilder<string> {
  // Text, not json_build_object: that looks up each value's output function per call, which made this
  // statement cost as much as the search (2.5 ms of PostgreSQL CPU for 48 icons, 1.6 ms as text). Strings,
  // arrays and floats go through to_json (escaping; a float's JSON spelling); integers, UUIDs and the
  // constrained kind, licence and format words need none.
  return sql<string>`
    select '[' || coalesce(string_agg(
      '{"id":"' || i.id || '","title":' || to_json(i.title) || ',"tags":' || to_json(i.tags)
      || ',"position":' || i.position || ',"width":' || to_json(i.width) || ',"height":' || to_json(i.height)
      || ',"set":{"id":"' || p.id || '","title":' || to_json(p.title) || ',"kind":"' || p.kind || '","license":"' || p.license
      || '","price":' || case when p.price_cents > 0 and p.currency is not null
                              then '{"amount":' || p.price_cents || ',"currency":' || to_json(btrim(p.currency)) || '}'
                              else 'null' end
      || '},"family":{"id":"' || f.id || '","slug":' || to_json(f.slug) || ',"title":' || to_json(f.title)
      || '},"contributor":{"slug":' || to_json(c.slug) || ',"displayName":' || to_json(c.display_name)
      || '},"renditions":[' || coalesce(
        (select string_agg('{"size":' || r.size || ',"format":"' || r.format || '","width":' || r.width || ',"height":' || r.height
                           || ',"url":' || to_json(${`${assetsBase}/`}::text || r.object_key) || '}', ',' order by r.size desc, r.format)
         from renditions r where r.image_id = i.id),
        '')
      || '],"score":' || to_json(h.score) || '}', ',' order by h.ord), '') || ']' as items
    from ${hits} as h
    join images i on i.id = h.id
    join products p on p.id = i.product_id
    join families f on f.id = p.family_id
    join contributors c on c.id = p.contributor_id
    where i.status = 'ready' and p.published and p.status = 'ready'
      and not exists (select 1 from product_blocks b where b.product_id = p.id)
  `;
}

/** A JSON array of the hits' images in hit order. */
export async function imageHitsJson(db: ApiDb, assetsBase: string, hits: readonly ImageSearchHit[]): Promise<string> {
  if (hits.length === 0) return '[]';
  const relation = sql`unnest(${hits.map((hit) => hit.imageId)}::uuid[], ${hits.map((hit) => hit.score)}::float8[]) with ordinality`;
  const { rows } = await sql<{ items: string }>`${imageHitsItems(assetsBase, sql`(select * from ${relation} as u(id, score, ord))`)}`.execute(db);
  return rows[0]!.items;
}
