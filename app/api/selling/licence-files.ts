/**
 * The LICENSE.txt of an entitlement, and the set ZIP carrying it. The licensed ZIP is the stored set ZIP
 * plus LICENSE.txt at its root, built on the entitlement's first download and kept under its own key:
 * the text of an entitlement never changes, so later downloads presign the kept copy.
 */
import { GetObjectCommand, HeadObjectCommand, NotFound, PutObjectCommand } from '@aws-sdk/client-s3';
import JSZip from 'jszip';
import { licensedSetZipKey, setZipHeaders, setZipKey } from '../../../core/storage/index.ts';
import { licenceText } from '../../../core/selling/licence-text.ts';
import type { ApiContext } from '../context.ts';
import { notFound } from '../http/errors.ts';

/** ZIP entries get a fixed date, so two builds of one licensed ZIP are the same bytes. */
const ZIP_EPOCH = new Date('2020-01-01T00:00:00Z');

export async function entitlementLicenceText(ctx: ApiContext, entitlementId: string, storefrontUrl: string): Promise<{ text: string; accountId: string }> {
  const row = await ctx.db
    .selectFrom('entitlements as e')
    .innerJoin('products as p', 'p.id', 'e.productId')
    .innerJoin('contributors as c', 'c.id', 'p.contributorId')
    .innerJoin('accounts as a', 'a.id', 'e.accountId')
    .leftJoin('orderItems as oi', 'oi.id', 'e.orderItemId')
    .select(['e.accountId', 'e.licence', 'e.grantedAt', 'p.id as productId', 'p.title', 'c.displayName as contributorName', 'c.slug', 'a.displayName', 'a.email', 'oi.orderId'])
    .where('e.id', '=', entitlementId)
    .executeTakeFirst();
  if (!row) throw notFound('The licence');
  const text = licenceText({
    licence: row.licence,
    set: { id: row.productId, title: row.title },
    contributor: { displayName: row.contributorName, slug: row.slug },
    buyer: { displayName: row.displayName, email: row.email },
    orderId: row.orderId,
    grantedAt: row.grantedAt,
    storefrontUrl,
  });
  return { text, accountId: row.accountId };
}

/** The key of the entitlement's licensed set ZIP in the downloads bucket, built now if it is not there yet. */
export async function licensedSetZip(
  ctx: ApiContext,
  product: { id: string; title: string },
  entitlementId: string,
  storefrontUrl: string,
): Promise<string> {
  const key = licensedSetZipKey(product.id, entitlementId);
  const bucket = ctx.buckets.downloads;
  try {
    await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return key;
  } catch (error) {
    if (!(error instanceof NotFound || (error as { name?: string }).name === 'NotFound')) throw error;
  }
  const stored = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: setZipKey(product.id) }));
  const zip = await JSZip.loadAsync(await stored.Body!.transformToByteArray());
  const { text } = await entitlementLicenceText(ctx, entitlementId, storefrontUrl);
  // The set ZIP keeps every file under one folder named after the set (core/pipeline/finish-set.ts).
  const roots = new Set(Object.keys(zip.files).map((name) => (name.includes('/') ? name.split('/')[0] : '')));
  const root = roots.size === 1 ? [...roots][0] : '';
  zip.file(root ? `${root}/LICENSE.txt` : 'LICENSE.txt', text, { date: ZIP_EPOCH, createFolders: false });
  const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
  await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ...setZipHeaders(product.title) }));
  return key;
}
