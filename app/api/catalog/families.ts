import { sql } from 'kysely';
import type { FamilyPreviewKeys } from '../../../core/catalog/index.ts';
import type { ApiDb } from '../tables.ts';
import { isVisible } from './products.ts';
import type { AssetUrls } from './urls.ts';

export interface FamilyView {
  id: string;
  slug: string;
  title: string;
  contributor: { slug: string; displayName: string };
  setCount: number;
  imageCount: number;
  preview: { png?: string; webp?: string } | null;
}

export interface FamilyRow {
  id: string;
  slug: string;
  title: string;
  contributorSlug: string;
  contributorName: string;
  previewKeys: FamilyPreviewKeys | null;
  setCount: number;
  imageCount: number;
  createdKey: string;
}

/** Families with at least one visible set, with counts over their visible sets only. */
export function familyRows(db: ApiDb) {
  return db
    .selectFrom('families as f')
    .innerJoin('contributors as c', 'c.id', 'f.contributorId')
    .innerJoin('products as p', 'p.familyId', 'f.id')
    .where(isVisible)
    .groupBy(['f.id', 'c.id'])
    .select((eb) => [
      'f.id',
      'f.slug',
      'f.title',
      'f.previewKeys',
      'c.slug as contributorSlug',
      'c.displayName as contributorName',
      eb.cast<number>(eb.fn.countAll(), 'integer').as('setCount'),
      eb.cast<number>(eb.fn.sum('p.imageCount'), 'integer').as('imageCount'),
      sql<string>`f.created_at::text`.as('createdKey'),
    ]);
}

export function presentFamily(urls: AssetUrls, row: FamilyRow): FamilyView {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    contributor: { slug: row.contributorSlug, displayName: row.contributorName },
    setCount: row.setCount,
    imageCount: row.imageCount,
    preview: urls.familyPreview(row.previewKeys),
  };
}
