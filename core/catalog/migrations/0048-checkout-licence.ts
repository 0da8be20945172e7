import { sql } from 'kysely';
import type { CatalogMigration } from './types.ts';

/**
 * A checkout line records the licence the buyer is paying for, beside its price: fulfilment grants that
 * licence, not whatever the set says when the payment lands (seconds later on the hosted page, days later
 * for bank debits). Before, a contributor's edit between the two changed the licence a buyer got for the
 * price they had paid. Lines of checkouts already open take the set's licence as it is now.
 */
export const checkoutLicence: CatalogMigration = {
  destructive: false,

  async up(db) {
    await sql`alter table checkout_items add column licence text`.execute(db);
    await sql`
      update checkout_items ci set licence = case when p.license = 'extended' then 'extended' else 'standard' end
      from products p where p.id = ci.product_id
    `.execute(db);
    await sql`alter table checkout_items alter column licence set not null`.execute(db);
    // Only paid licences are sold: a priced set marked "free" is sold under Standard.
    await sql`alter table checkout_items add constraint checkout_items_licence_paid check (licence in ('standard', 'extended'))`.execute(db);
  },

  async down(db) {
    await sql`alter table checkout_items drop column licence`.execute(db);
  },
};
