import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../core/catalog/index.ts';
import { createContributor } from '../../../core/catalog/index.ts';
import type { ApiDb, Role } from '../tables.ts';
import { ApiError } from '../http/errors.ts';
import { hashPassword } from './passwords.ts';

/** An account as the API hands it around once signed in. */
export interface SessionAccount {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  contributor: { id: string; slug: string } | null;
  createdAt: Date;
  /** Whether the address was proven by a mailed link (or the account was made by an operator). */
  emailVerified: boolean;
}

export interface NewAccount {
  email: string;
  password: string;
  displayName: string;
  role: Role;
  /** Required for contributors: the slug of their public page. */
  slug?: string;
  /**
   * Default true: accounts made by operators and tooling (createAccount called directly) are trusted.
   * Sign-up over HTTP passes false; the mailed link verifies the address.
   */
  emailVerified?: boolean;
}

const UNIQUE_VIOLATION = '23505';

/** The e-mail or the contributor slug is taken (sign-up answers the e-mail case neutrally, not with this). */
export class AccountConflict extends ApiError {
  constructor(readonly field: 'email' | 'slug') {
    super(409, 'conflict', field === 'slug' ? 'That contributor slug is taken.' : 'An account with that e-mail exists.');
  }
}

/** Whether the contributor slug is free (sign-up refuses a taken one before it looks at the e-mail). */
export async function slugTaken(db: ApiDb, slug: string): Promise<boolean> {
  const row = await db.selectFrom('contributors').select('id').where('slug', '=', slug).executeTakeFirst();
  return row !== undefined;
}

/** Creates the account (and, for contributors, its contributor record) in one transaction. */
export async function createAccount(db: ApiDb, input: NewAccount): Promise<SessionAccount> {
  if (input.role === 'contributor' && !input.slug) throw new TypeError('a contributor account needs a slug');
  const passwordHash = await hashPassword(input.password);
  try {
    const id = await db.transaction().execute(async (trx) => {
      const contributor =
        input.role === 'contributor'
          ? await createContributor(trx as unknown as Kysely<Database>, { slug: input.slug!, displayName: input.displayName, email: input.email })
          : undefined;
      const row = await trx
        .insertInto('accounts')
        .values({
          email: input.email,
          passwordHash,
          displayName: input.displayName,
          role: input.role,
          contributorId: contributor?.id ?? null,
          emailVerifiedAt: input.emailVerified === false ? null : new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    });
    return (await findAccount(db, id))!;
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) {
      const constraint = (error as { constraint?: string }).constraint ?? '';
      throw new AccountConflict(constraint.includes('slug') ? 'slug' : 'email');
    }
    throw error;
  }
}

function accountQuery(db: ApiDb) {
  return db
    .selectFrom('accounts')
    .leftJoin('contributors', 'contributors.id', 'accounts.contributorId')
    .select([
      'accounts.id',
      'accounts.email',
      'accounts.displayName',
      'accounts.role',
      'accounts.createdAt',
      'accounts.emailVerifiedAt',
      'accounts.passwordHash',
      'contributors.id as contributorId',
      'contributors.slug as contributorSlug',
    ]);
}

type AccountRow = Awaited<ReturnType<ReturnType<typeof accountQuery>['executeTakeFirstOrThrow']>>;

function toSessionAccount(row: AccountRow): SessionAccount {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    contributor: row.contributorId && row.contributorSlug ? { id: row.contributorId, slug: row.contributorSlug } : null,
    createdAt: row.createdAt,
    emailVerified: row.emailVerifiedAt !== null,
  };
}

export async function findAccount(db: ApiDb, id: string): Promise<SessionAccount | undefined> {
  const row = await accountQuery(db).where('accounts.id', '=', id).executeTakeFirst();
  return row && toSessionAccount(row);
}

/** The account and its password hash, by e-mail in any case. */
export async function findAccountForSignIn(
  db: ApiDb,
  email: string,
): Promise<{ account: SessionAccount; passwordHash: string } | undefined> {
  const row = await accountQuery(db)
    .where(sql`lower(accounts.email)`, '=', email.toLowerCase())
    .executeTakeFirst();
  return row && { account: toSessionAccount(row), passwordHash: row.passwordHash };
}
