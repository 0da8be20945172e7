import type { Kysely, Selectable } from 'kysely';
import { isUuid } from './db.ts';
import type { ContributorsTable, Database } from './schema.ts';

export type Contributor = Selectable<ContributorsTable>;

export interface NewContributor {
  slug: string;
  displayName: string;
  email: string;
}

export async function createContributor(db: Kysely<Database>, input: NewContributor): Promise<Contributor> {
  return db
    .insertInto('contributors')
    .values({ slug: input.slug, displayName: input.displayName, email: input.email })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findContributor(db: Kysely<Database>, id: string): Promise<Contributor | undefined> {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('contributors').selectAll().where('id', '=', id).executeTakeFirst();
}
