/**
 * The API's response shapes (app/api/ROUTES.md, "Shared shapes"), as the web app reads them. The web app
 * talks to the API only over HTTP, so it validates what it receives instead of importing the API's code:
 * a contract drift shows up as a clear parse error at the edge, not as `undefined` deep in a page.
 */
import { z } from 'zod';

export const renditionSchema = z.object({
  size: z.number().int(),
  format: z.enum(['png', 'webp']),
  width: z.number().int(),
  height: z.number().int(),
  url: z.string(),
});

export const imageSummarySchema = z.object({
  id: z.string(),
  productId: z.string(),
  position: z.number().int(),
  title: z.string(),
  tags: z.array(z.string()),
  width: z.number(),
  height: z.number(),
  status: z.enum(['pending', 'ready', 'failed']),
  renditions: z.array(renditionSchema),
});

const contributorRef = z.object({ slug: z.string(), displayName: z.string() });

export const productSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  kind: z.enum(['icon-set', 'illustration-set']),
  license: z.enum(['free', 'standard', 'extended']),
  tags: z.array(z.string()),
  price: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
  imageCount: z.number().int(),
  status: z.enum(['processing', 'ready', 'failed']),
  published: z.boolean(),
  blocked: z.boolean(),
  family: z.object({ id: z.string(), slug: z.string(), title: z.string() }),
  contributor: contributorRef,
  cover: imageSummarySchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const productDetailSchema = productSummarySchema.extend({
  description: z.string().nullable(),
  preview: z.array(imageSummarySchema),
});

export const familySummarySchema = z.object({
  id: z.string(),
  slug: z.string(),
  title: z.string(),
  contributor: contributorRef,
  setCount: z.number().int(),
  imageCount: z.number().int(),
  preview: z.object({ png: z.string().optional(), webp: z.string().optional() }).nullable(),
});

export const accountSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  role: z.enum(['buyer', 'contributor', 'admin']),
  contributor: z.object({ id: z.string(), slug: z.string() }).nullable(),
  createdAt: z.string(),
  /** False until the mailed link is used; payouts need it. */
  emailVerified: z.boolean(),
});

export const uploadProblemSchema = z.object({
  file: z.string().optional(),
  field: z.string().optional(),
  message: z.string(),
});

export const DRAFT_STATES = ['awaiting-upload', 'received', 'rejected', 'processing', 'ready', 'failed'] as const;

export const draftSchema = z.object({
  id: z.string(),
  productId: z.string(),
  state: z.enum(DRAFT_STATES),
  problems: z.array(uploadProblemSchema),
  progress: z
    .object({ total: z.number().int(), ready: z.number().int(), failed: z.number().int(), pending: z.number().int() })
    .nullable(),
  warnings: z.array(z.object({ file: z.string(), removed: z.array(z.string()), message: z.string() })).default([]),
  ignoredUploads: z.array(z.object({ seenAt: z.string(), size: z.number().int().optional(), message: z.string() })).default([]),
  createdAt: z.string(),
  uploadExpiresAt: z.string(),
});

export const presignedPostSchema = z.object({
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  maxBytes: z.number().int(),
  expiresAt: z.string(),
});

export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    /** What to do about it (a 402 links the set page with its Buy button). */
    action: z.object({ label: z.string(), href: z.string() }).optional(),
  }),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export const searchHitSchema = productSummarySchema.extend({ score: z.number() });

/** One icon or illustration found by search (type=images). */
export const imageHitSchema = z.object({
  id: z.string(),
  title: z.string(),
  tags: z.array(z.string()),
  position: z.number().int(),
  width: z.number(),
  height: z.number(),
  set: z.object({
    id: z.string(),
    title: z.string(),
    kind: z.enum(['icon-set', 'illustration-set']),
    license: z.enum(['free', 'standard', 'extended']),
    price: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
  }),
  family: z.object({ id: z.string(), slug: z.string(), title: z.string() }),
  contributor: contributorRef,
  renditions: z.array(renditionSchema),
  score: z.number(),
});

const searchMeta = { nextCursor: z.string().nullable(), correctedText: z.string().nullable(), suggestions: z.array(z.string()) };
export const searchPageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('images'), items: z.array(imageHitSchema), ...searchMeta }),
  z.object({ type: z.literal('sets'), items: z.array(searchHitSchema), ...searchMeta }),
]);

export const responses = {
  families: pageOf(familySummarySchema),
  family: z.object({ family: familySummarySchema, sets: z.array(productSummarySchema) }),
  products: pageOf(productSummarySchema),
  product: z.object({ product: productDetailSchema }),
  images: pageOf(imageSummarySchema),
  image: z.object({
    image: imageSummarySchema,
    product: productSummarySchema,
    neighbours: z.object({ previous: imageSummarySchema.nullable(), next: imageSummarySchema.nullable() }),
    downloads: z.object({
      svg: z.boolean(),
      pngSizes: z.array(z.number().int()),
      webpSizes: z.array(z.number().int()),
      copySvg: z.boolean(),
      customisable: z.object({ colour: z.boolean(), stroke: z.boolean() }),
    }),
  }),
  customDownload: z.object({ url: z.string(), expiresAt: z.string(), fileName: z.string() }),
  relatedImages: z.object({ items: z.array(imageSummarySchema.extend({ setTitle: z.string(), shared: z.number().int() })) }),
  search: searchPageSchema,
  contributor: z.object({
    contributor: z.object({ slug: z.string(), displayName: z.string(), createdAt: z.string() }),
    families: z.array(familySummarySchema),
  }),
  account: z.object({ account: accountSchema }),
  /** POST /api/auth/signup: the same 202 for new and taken addresses. */
  signedUp: z.object({ status: z.literal('verification_sent'), message: z.string() }),
  /** GET /api/auth/me: 200 for visitors too, with a null account. */
  me: z.object({ account: accountSchema.nullable() }),
  draft: z.object({ draft: draftSchema }),
  drafts: pageOf(draftSchema),
  newDraft: z.object({ draft: draftSchema, upload: presignedPostSchema }),
  /** POST /api/products/:productId/retry: the failed images queued again, each with the reason it had failed. */
  retry: z.object({
    productId: z.string(),
    images: z.number().int(),
    retried: z.array(z.object({ file: z.string(), reason: z.string().nullable() })),
  }),
  download: z.object({
    url: z.string(),
    expiresAt: z.string(),
    fileName: z.string(),
    licenceFile: z.object({ url: z.string(), fileName: z.string() }).nullable().optional(),
  }),
} as const;

export type Rendition = z.infer<typeof renditionSchema>;
export type ImageSummary = z.infer<typeof imageSummarySchema>;
export type ProductSummary = z.infer<typeof productSummarySchema>;
export type ImageHit = z.infer<typeof imageHitSchema>;
export type SearchPage = z.infer<typeof searchPageSchema>;
export type ProductDetail = z.infer<typeof productDetailSchema>;
export type FamilySummary = z.infer<typeof familySummarySchema>;
export type Account = z.infer<typeof accountSchema>;
export type Draft = z.infer<typeof draftSchema>;
export type DraftState = Draft['state'];
export type PresignedPost = z.infer<typeof presignedPostSchema>;
export type UploadProblem = z.infer<typeof uploadProblemSchema>;
