/**
 * The API's JSON shapes (ROUTES.md, "Shared shapes"), as zod schemas: responses are documented from
 * them and, in tests, checked against them. Edit limits come from the upload contract's own schema.
 */
import { z } from 'zod';
import { licenses, manifestSchema, productKinds } from '../../core/manifest/schema.ts';
import {
  MAX_DISPLAY_NAME_LENGTH,
  MAX_EMAIL_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_SLUG_LENGTH,
  MIN_PASSWORD_LENGTH,
} from '../../core/limits.ts';
import { plainText, SLUG_PATTERN } from '../../core/manifest/schema.ts';
import { ROLES } from './tables.ts';

const timestamp = z.iso.datetime({ offset: true });

// Editing a set obeys the same rules as uploading it.
const productFields = manifestSchema.shape.product.shape;
const imageFields = manifestSchema.shape.images.element.shape;
export const productTitle = productFields.title;
export const productDescription = productFields.description.unwrap();
export const productTags = productFields.tags.unwrap();
export const productLicense = productFields.license;
export const productPrice = productFields.price.unwrap();
export const imageTitle = imageFields.title;
export const imageTags = imageFields.tags.unwrap();

export const email = z.email().max(MAX_EMAIL_LENGTH);
export const password = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);
/** Shown beside every set of a contributor: no controls or bidi overrides that disguise it, as in manifests. */
export const displayName = plainText(z.string().trim().min(1).max(MAX_DISPLAY_NAME_LENGTH));
export const slug = z.string().min(1).max(MAX_SLUG_LENGTH).regex(SLUG_PATTERN, 'use lower-case letters, digits and single hyphens');

export const accountSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(ROLES),
    contributor: z.object({ id: z.uuid(), slug: z.string() }).nullable(),
    createdAt: timestamp,
    /** False until the address is proven by the mailed link (then payouts can be set up). */
    emailVerified: z.boolean(),
  })
  .meta({ id: 'Account' });

export const renditionSchema = z
  .object({
    size: z.number().int(),
    format: z.enum(['png', 'webp']),
    width: z.number().int(),
    height: z.number().int(),
    url: z.url(),
  })
  .meta({ id: 'Rendition' });

export const imageSummarySchema = z
  .object({
    id: z.uuid(),
    productId: z.uuid(),
    position: z.number().int(),
    title: z.string(),
    tags: z.array(z.string()),
    width: z.number(),
    height: z.number(),
    status: z.enum(['pending', 'ready', 'failed']),
    renditions: z.array(renditionSchema),
  })
  .meta({ id: 'ImageSummary' });

const familyRef = z.object({ id: z.uuid(), slug: z.string(), title: z.string() });
const contributorRef = z.object({ slug: z.string(), displayName: z.string() });

export const productSummarySchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    kind: z.enum(productKinds),
    license: z.enum(licenses),
    tags: z.array(z.string()),
    price: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
    imageCount: z.number().int(),
    status: z.enum(['processing', 'ready', 'failed']),
    published: z.boolean(),
    blocked: z.boolean(),
    family: familyRef,
    contributor: contributorRef,
    cover: imageSummarySchema.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'ProductSummary' });

export const productDetailSchema = productSummarySchema
  .extend({ description: z.string().nullable(), preview: z.array(imageSummarySchema) })
  .meta({ id: 'ProductDetail' });

export const familySummarySchema = z
  .object({
    id: z.uuid(),
    slug: z.string(),
    title: z.string(),
    contributor: contributorRef,
    setCount: z.number().int(),
    imageCount: z.number().int(),
    preview: z.object({ png: z.url().optional(), webp: z.url().optional() }).nullable(),
  })
  .meta({ id: 'FamilySummary' });

export const DRAFT_STATES = ['awaiting-upload', 'received', 'rejected', 'processing', 'ready', 'failed'] as const;
export type DraftState = (typeof DRAFT_STATES)[number];

export const draftSchema = z
  .object({
    id: z.uuid(),
    productId: z.uuid(),
    state: z.enum(DRAFT_STATES),
    problems: z.array(z.object({ file: z.string().optional(), field: z.string().optional(), message: z.string() })),
    progress: z
      .object({ total: z.number().int(), ready: z.number().int(), failed: z.number().int(), pending: z.number().int() })
      .nullable(),
    /** Per file, what sanitising removed from an accepted set (the set is changed from what was uploaded). */
    warnings: z.array(z.object({ file: z.string(), removed: z.array(z.string()), message: z.string() })),
    /** ZIPs posted to the draft's form after the first one: never used (a draft takes one ZIP). */
    ignoredUploads: z.array(z.object({ seenAt: z.string(), size: z.number().int().optional(), message: z.string() })),
    createdAt: timestamp,
    uploadExpiresAt: timestamp,
  })
  .meta({ id: 'Draft' });

export const presignedPostSchema = z
  .object({
    url: z.url(),
    fields: z.record(z.string(), z.string()),
    maxBytes: z.number().int(),
    expiresAt: timestamp,
  })
  .meta({ id: 'PresignedPost' });

/** One icon or illustration found by search (GET /search, type=images), with what a result card shows. */
export const imageHitSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    tags: z.array(z.string()),
    position: z.number().int(),
    width: z.number(),
    height: z.number(),
    set: z.object({
      id: z.uuid(),
      title: z.string(),
      kind: z.enum(productKinds),
      license: z.enum(licenses),
      price: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
    }),
    family: familyRef,
    contributor: contributorRef,
    renditions: z.array(renditionSchema),
    score: z.number(),
  })
  .meta({ id: 'ImageHit' });
