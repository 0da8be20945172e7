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

/** Whether a contributor exists, by id: the pipeline's check, which may read only these columns (migration 0057). */
export async function findContributor(db: Kysely<Database>, id: string): Promise<Pick<Contributor, 'id' | 'slug' | 'displayName'> | undefined> {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('contributors').select(['id', 'slug', 'displayName']).where('id', '=', id).executeTakeFirst();
}
