import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Icon-level search (app/api/search/postgres.ts, `searchImages`): each image's own weighted document (title
 * A, tags B) behind a GIN index, so a search finds the umbrella icon itself, not only the set it is in.
 * A generated column: PostgreSQL keeps it with the title and tags, whoever writes them.
 *
 * Also:
 * - image tags join the typo-correction word list (migration 0009 took image titles only), so a mistyped tag
 *   is corrected to it;
 * - images and renditions notify `catalog_changes` (migration 0010 covered sets, summaries and blocks only):
 *   icon results show an image's title, tags, status and rendition URLs, which change without touching the
 *   set. Statement-level, folded per transaction by PostgreSQL, as in 0010.
 * Frozen history: the word function and channel name are written out, not imported.
 */
export const imageSearch: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      alter table images add column search_document tsvector
      generated always as (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, catalog_tags_text(tags)), 'B')
      ) stored
    `.execute(db);
    await sql`create index images_search_idx on images using gin (search_document)`.execute(db);

    await sql`
      insert into search_words (word)
      select catalog_words(catalog_tags_text(tags)) from images
      on conflict do nothing
    `.execute(db);
    await sql`
      create function catalog_words_from_image_tags() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(catalog_tags_text(tags)) from changed
        on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create trigger images_insert_tag_words after insert on images
      referencing new table as changed for each statement execute function catalog_words_from_image_tags()
    `.execute(db);
    // Row-level for retagging (transition tables and column lists do not mix); tags change rarely.
    await sql`
      create function catalog_words_from_retagged_image() returns trigger language plpgsql as $$
      begin
        insert into search_words (word) select distinct catalog_words(catalog_tags_text(new.tags)) on conflict do nothing;
        return null;
      end $$
    `.execute(db);
    await sql`
      create trigger images_update_tag_words after update of tags on images
      for each row when (old.tags is distinct from new.tags) execute function catalog_words_from_retagged_image()
    `.execute(db);

    // Updates: only of what an icon result shows (not timestamps or failure reasons alone).
    await sql`
      create trigger images_notify_changes after insert or delete or truncate on images
      for each statement execute function catalog_changed()
    `.execute(db);
    await sql`
      create trigger images_update_notify_changes after update of title, tags, status, position, width, height on images
      for each statement execute function catalog_changed()
    `.execute(db);
    await sql`
      create trigger renditions_notify_changes after insert or update or delete or truncate on renditions
      for each statement execute function catalog_changed()
    `.execute(db);
  },

  async down(db) {
    await sql`drop trigger renditions_notify_changes on renditions`.execute(db);
    await sql`drop trigger images_update_notify_changes on images`.execute(db);
    await sql`drop trigger images_notify_changes on images`.execute(db);
    await sql`drop trigger images_update_tag_words on images`.execute(db);
    await sql`drop trigger images_insert_tag_words on images`.execute(db);
    await sql`drop function catalog_words_from_retagged_image()`.execute(db);
    await sql`drop function catalog_words_from_image_tags()`.execute(db);
    await sql`drop index images_search_idx`.execute(db);
    await sql`alter table images drop column search_document`.execute(db);
  },
};
