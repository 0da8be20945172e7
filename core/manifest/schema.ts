/**
 * The manifest.json schema, upload format version 1 (`shared/docs/upload-format.md`).
 * A public contract: change it only by adding optional fields or a new `manifestVersion`.
 */
import { z } from 'zod';
import {
  MANIFEST_VERSION,
  MAX_DESCRIPTION_LENGTH,
  MAX_IMAGES,
  MAX_PATH_LENGTH,
  MAX_PRICE_CENTS,
  MAX_SLUG_LENGTH,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  MAX_TITLE_LENGTH,
  MIN_IMAGES,
} from '../limits.ts';

/** C0 and C1 controls and the bidi overrides/isolates that can disguise text (Trojan Source). */
const FORBIDDEN_CHARACTER = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Currencies ICU knows as current ISO 4217 codes; the runtime's list beats a copy that goes stale. */
const CURRENCY_CODES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

function describeCodePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A description is prose: line breaks and tabs are fine there. Other controls are not (PostgreSQL
 * cannot even store U+0000), nor are bidi overrides.
 */
const FORBIDDEN_IN_PROSE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/u;

/** Adds the "no control or bidi characters" rule to a string schema. */
export function plainText<T extends z.ZodString>(schema: T, forbidden: RegExp = FORBIDDEN_CHARACTER) {
  return schema.superRefine((value, ctx) => {
    const match = forbidden.exec(value);
    if (!match) return;
    ctx.addIssue({
      code: 'custom',
      input: value,
      message: `must not contain control or text-direction characters (found ${describeCodePoint(match[0])} at position ${match.index + 1})`,
    });
  });
}

const title = plainText(z.string().trim().min(1).max(MAX_TITLE_LENGTH));

const tag = plainText(z.string().trim().toLowerCase().min(1).max(MAX_TAG_LENGTH));

/** Tags are lower-cased (above) and de-duplicated, keeping the first occurrence's position. */
const tags = z
  .array(tag)
  .max(MAX_TAGS)
  .transform((list) => [...new Set(list)]);

/** Digits after the decimal point of a currency's minor unit: 2 for USD and EUR, 0 for JPY, 3 for KWD. */
function minorUnitDigits(code: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
}

const currency = z.string().superRefine((value, ctx) => {
  if (CURRENCY_CODES.has(value)) {
    // Amounts are integer cents everywhere (display divides by 100, Stripe takes the amount as is): a currency
    // without cents (JPY) or with thousandths (KWD) would show 100 or 10 times off what Stripe charges.
    if (minorUnitDigits(value) === 2) return;
    ctx.addIssue({ code: 'custom', input: value, message: `${JSON.stringify(value)} has no cents; prices are in a currency with cents, such as "USD" or "EUR"` });
    return;
  }
  const hint = CURRENCY_CODES.has(value.toUpperCase())
    ? `; write it in capitals: "${value.toUpperCase()}"`
    : ' such as "USD" or "EUR"';
  ctx.addIssue({
    code: 'custom',
    input: value,
    message: `${JSON.stringify(value)} is not an ISO 4217 currency code${hint}`,
  });
});

/** Stripe's smallest charge in USD and EUR (0.50); below it a checkout could not be paid. */
export const MIN_PAID_PRICE_CENTS = 50;

/** Why a manifest `file` path is not a plain relative path inside the upload, or null if it is. */
export function imagePathProblem(path: string): string | null {
  if (path === '') return null; // reported as "must not be empty" by the length rule
  if (path.includes('\\')) return 'must use "/" between folders, not "\\"';
  if (path.startsWith('/')) return 'must be relative to manifest.json, not start with "/"';
  if (/^[A-Za-z]:/.test(path)) return 'must be relative to manifest.json, not a drive path';
  const segments = path.split('/');
  if (segments.includes('..')) return 'must not contain ".." (it would leave the upload folder)';
  if (segments.some((segment) => segment === '' || segment === '.')) {
    return 'must be a plain relative path like "line/sun.svg" (no empty or "." parts)';
  }
  if (!/\.svg$/i.test(path)) return 'must name an .svg file';
  return null;
}

const imageFile = plainText(z.string().min(1).max(MAX_PATH_LENGTH)).superRefine((value, ctx) => {
  const problem = imagePathProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', input: value, message: problem });
});

export const productKinds = ['icon-set', 'illustration-set'] as const;
export const licenses = ['free', 'standard', 'extended'] as const;

const image = z.strictObject({
  file: imageFile,
  title,
  tags: tags.optional(),
});

/**
 * Runs even when some entries failed their own checks, so that a duplicate is reported
 * together with every other problem; entries are therefore read defensively.
 */
function reportDuplicateFiles(list: readonly unknown[], ctx: z.RefinementCtx<unknown[]>): void {
  const firstIndexOf = new Map<string, number>();
  list.forEach((entry, index) => {
    const file = (entry as { file?: unknown } | null)?.file;
    if (typeof file !== 'string') return;
    const first = firstIndexOf.get(file);
    if (first === undefined) {
      firstIndexOf.set(file, index);
      return;
    }
    ctx.addIssue({
      code: 'custom',
      input: file,
      path: [index, 'file'],
      message: `${JSON.stringify(file)} is listed twice (also images[${first}].file)`,
    });
  });
}

const images = z
  .array(image)
  .min(MIN_IMAGES)
  .max(MAX_IMAGES)
  .superRefine(reportDuplicateFiles, { when: (payload) => Array.isArray(payload.value) });

export const manifestSchema = z.strictObject({
  manifestVersion: z.literal(MANIFEST_VERSION),
  product: z.strictObject({
    kind: z.enum(productKinds),
    title,
    description: plainText(z.string().max(MAX_DESCRIPTION_LENGTH), FORBIDDEN_IN_PROSE).optional(),
    family: z.strictObject({
      slug: z.string().min(1).max(MAX_SLUG_LENGTH).regex(SLUG_PATTERN),
      title: title.optional(),
    }),
    license: z.enum(licenses),
    tags: tags.optional(),
    price: z
      .strictObject({
        amount: z
          .number()
          .int()
          .min(0)
          .max(MAX_PRICE_CENTS)
          .refine((amount) => amount <= 0 || amount >= MIN_PAID_PRICE_CENTS, {
            message: `must be 0 (free) or at least ${MIN_PAID_PRICE_CENTS} cents, the smallest amount card payments take`,
          }),
        currency,
      })
      .optional(),
  }),
  images,
});

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestImage = Manifest['images'][number];
export type ProductKind = (typeof productKinds)[number];
export type License = (typeof licenses)[number];
