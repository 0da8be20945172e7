/**
 * Every limit the ingestion pipeline enforces, in one place.
 * The upload contract (`shared/docs/upload-format.md`) fixes the manifest limits;
 * the archive and image limits protect the workers (zip bombs, pixel floods).
 */

const KiB = 1024;
const MiB = 1024 * KiB;

// Archive (ZIP) limits — checked while inflating, never trusted from headers.
export const MAX_ARCHIVE_BYTES = 200 * MiB;
export const MAX_ARCHIVE_ENTRIES = 2_100; // 2,000 images + manifest + folders and OS litter
export const MAX_UNCOMPRESSED_BYTES = 500 * MiB;
export const MAX_MANIFEST_BYTES = 1 * MiB;
export const MAX_PATH_LENGTH = 255;

// SVG limits.
export const MAX_SVG_BYTES = 5 * MiB;
/** Largest width or height an SVG may declare (viewBox or width/height), in user units. */
export const MAX_SVG_DIMENSION = 10_000;
/** Deepest element nesting a sanitised SVG may have (real artwork stays far below; deeper trees exhaust stacks). */
export const MAX_SVG_NESTING_DEPTH = 256;
/**
 * Most elements an SVG may draw once every `<use>` is expanded: nested `<use>` references
 * multiply (the "billion laughs" of SVG) and would stall renderers and browsers.
 */
export const MAX_SVG_EXPANDED_ELEMENTS = 250_000;
/** Pixel budget for one rasterisation (sharp `limitInputPixels`). */
export const MAX_RENDER_PIXELS = 4096 * 4096;
/** A single SVG must render within this time or it is failed. */
export const RENDER_TIMEOUT_SECONDS = 20;
/** Most sample images one family preview composites (each is rasterised; keeps the preview job bounded). */
export const MAX_FAMILY_PREVIEW_ITEMS = 48;

// Manifest limits (from the upload contract, version 1).
export const MANIFEST_VERSION = 1;
export const MAX_TITLE_LENGTH = 120;
export const MAX_DESCRIPTION_LENGTH = 2_000;
export const MAX_SLUG_LENGTH = 64;
export const MAX_TAGS = 30;
export const MAX_TAG_LENGTH = 40;
export const MIN_IMAGES = 1;
export const MAX_IMAGES = 2_000;
export const MAX_PRICE_CENTS = 100_000;

// Delivery: Docker images kept per app on each host and in ECR (the new one, and two to roll back to).
export const IMAGES_KEPT_PER_APP = 3;

// Marketplace API (app/api).
/** Largest JSON request body; every API body is a few fields. */
export const MAX_API_JSON_BYTES = 64 * KiB;
/** NIST SP 800-63B: long passphrases over composition rules; the upper bound caps hashing work. */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;
export const MAX_DISPLAY_NAME_LENGTH = 80;
export const MAX_EMAIL_LENGTH = 254;
export const SESSION_TTL_SECONDS = 14 * 24 * 60 * 60;
/** How long a presigned upload POST stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
/** Presigned download URLs are short-lived: a shared link stops working soon. */
export const DOWNLOAD_URL_TTL_SECONDS = 5 * 60;
export const DEFAULT_PAGE_SIZE = 24;
export const MAX_PAGE_SIZE = 100;
/** Images shown with a product's detail; the rest are paged. */
export const PRODUCT_PREVIEW_IMAGES = 12;
export const MAX_SEARCH_QUERY_LENGTH = 200;
/** Ranked search pages by offset; deep pages cost a full sort, so they stop here. */
export const MAX_SEARCH_OFFSET = 1_000;
export const MAX_BLOCK_REASON_LENGTH = 500;
/**
 * Distinct read statements the API prepares (per process; each pooled connection keeps the ones it used).
 * The API has a few dozen query shapes; the cap keeps an unexpected stream of new shapes from growing
 * server memory without bound. Statements beyond it run unprepared.
 */
export const MAX_API_PREPARED_STATEMENTS = 200;
/**
 * The API's cache of public catalog reads (lists and searches, app/api/catalog/read-cache.ts): memory it
 * may use, and how long an entry lives at most. Changes drop entries at once (PostgreSQL notifications);
 * the age bound only limits what a change the triggers do not see could leave stale.
 */
export const CATALOG_CACHE_MAX_BYTES = 64 * MiB;
export const CATALOG_CACHE_TTL_SECONDS = 60;
/** Sign-up and sign-in attempts per client IP and window (slows password guessing). */
export const AUTH_RATE_LIMIT = { requests: 20, windowSeconds: 60 } as const;
/** Drafts and upload URLs per contributor and window. */
export const UPLOAD_RATE_LIMIT = { requests: 60, windowSeconds: 60 * 60 } as const;
/**
 * Downloads (POST /api/downloads) and LICENSE.txt fetches per account and window: each logs a row and
 * reads the database; a person clicking through a set stays far below this.
 */
export const DOWNLOAD_RATE_LIMIT = { requests: 120, windowSeconds: 60 } as const;
/**
 * Customised downloads (POST /api/downloads/custom) per account: a burst limit, and a cap per rolling day.
 * Each new combination of options costs a render (~0.4 s of API CPU) and an object kept for
 * CUSTOM_RENDER_RETENTION_DAYS; without a cap one account could render millions.
 */
export const CUSTOM_DOWNLOAD_RATE_LIMIT = { requests: 30, windowSeconds: 60 } as const;
export const CUSTOM_DOWNLOADS_PER_DAY = 500;
/** Customised renders at once per API process; more wait their turn rather than starve other requests. */
export const CUSTOM_RENDER_CONCURRENCY = 2;
/**
 * Customised renders waiting for a slot per API process; past this a new render is refused with 503 and
 * Retry-After (CUSTOM_RENDER_RETRY_AFTER_SECONDS). At ~0.4 s a render and two at once, a full line clears in ~3 s.
 */
export const CUSTOM_RENDER_QUEUE = 16;
export const CUSTOM_RENDER_RETRY_AFTER_SECONDS = 5;
/**
 * Days a customised render is kept (the downloads bucket's lifecycle rule deletes `custom/` objects after
 * this); the API renders one again when its listing is older than this less a day.
 */
export const CUSTOM_RENDER_RETENTION_DAYS = 30;

/** How long a mailed e-mail verification link works (app/api/auth/email-verification.ts). */
export const EMAIL_VERIFICATION_TTL_SECONDS = 48 * 60 * 60;

/**
 * Account mails per recipient address and kind (app/api/auth/mail-throttle.ts): the "someone tried to sign
 * up with your address" notice once a day, verification links (sign-up, resend, claiming an unverified
 * account) a few an hour. Past these, the request answers as usual and no mail goes out.
 */
export const ACCOUNT_MAIL_LIMITS = {
  signUpNotice: { mails: 1, windowSeconds: 24 * 60 * 60 },
  verification: { mails: 3, windowSeconds: 60 * 60 },
} as const;

/** How often each API host deletes expired sessions, verification links and idle sign-in failures. */
export const HOUSEKEEPING_INTERVAL_SECONDS = 15 * 60;
