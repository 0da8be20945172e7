/**
 * The PostgreSQL notification channel on which every committed change to what public catalog reads show is
 * announced (migration 0010's triggers). The API listens on it to drop its cached lists and searches.
 */
export const CATALOG_CHANGES_CHANNEL = 'catalog_changes';
