import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * Notifications that push a draft's state to its event stream (app/api/contributor/upload-events.ts)
 * instead of every stream polling the database twice a second: channel `upload_changes` carries the upload's
 * id when its row changes and the product's id when an image's status changes (its progress); channel
 * `session_changes` carries the account's id when one of its sessions ends, so a stream whose session was
 * signed out stops at once on every host. Delivered at commit; identical ones in a transaction fold into one.
 */
export const uploadChanges: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`
      create function upload_changed() returns trigger language plpgsql as $$
      begin
        perform pg_notify('upload_changes', (case when tg_table_name = 'images' then new.product_id else new.id end)::text);
        return null;
      end $$
    `.execute(db);
    await sql`create trigger uploads_notify_changes after insert or update on uploads for each row execute function upload_changed()`.execute(db);
    await sql`create trigger images_notify_status after insert or update of status on images for each row execute function upload_changed()`.execute(db);
    await sql`
      create function session_ended() returns trigger language plpgsql as $$
      begin
        perform pg_notify('session_changes', old.account_id::text);
        return null;
      end $$
    `.execute(db);
    await sql`create trigger sessions_notify_end after delete on sessions for each row execute function session_ended()`.execute(db);
  },

  async down(db) {
    await sql`drop trigger sessions_notify_end on sessions`.execute(db);
    await sql`drop function session_ended()`.execute(db);
    await sql`drop trigger images_notify_status on images`.execute(db);
    await sql`drop trigger uploads_notify_changes on uploads`.execute(db);
    await sql`drop function upload_changed()`.execute(db);
  },
};
