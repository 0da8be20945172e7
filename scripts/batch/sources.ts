/**
 * Lists originals page by page: the downloads bucket (ListObjectsV2, 1,000 keys a page) or a folder laid
 * out like it. Only one page is held at a time, so listing a catalog of any size takes constant memory.
 */
import { opendir } from 'node:fs/promises';
import path from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { isKeyOfKind } from '../../core/storage/index.ts';
import { LISTING_PAGE_SIZE } from './options.ts';

export type OriginalLocation = { kind: 's3'; key: string } | { kind: 'file'; path: string };

export interface OriginalRef {
  productId: string;
  imageId: string;
  location: OriginalLocation;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `originals/<productId>/<imageId>.svg` → ids; undefined for any other key. */
function idsFromOriginalKey(key: string): { productId: string; imageId: string } | undefined {
  if (!isKeyOfKind(key, 'original')) return undefined;
  const [, productId, file] = key.split('/') as [string, string, string];
  return { productId, imageId: file.slice(0, -'.svg'.length) };
}

/** Every original in the bucket (or under one product's prefix), one listing page at a time. */
export async function* s3OriginalPages(
  s3: S3Client,
  bucket: string,
  options: { productId?: string; signal?: AbortSignal } = {},
): AsyncGenerator<OriginalRef[]> {
  const prefix = options.productId ? `originals/${options.productId}/` : 'originals/';
  let token: string | undefined;
  do {
    if (options.signal?.aborted) return;
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: LISTING_PAGE_SIZE }),
      { abortSignal: options.signal },
    );
    const refs: OriginalRef[] = [];
    for (const object of page.Contents ?? []) {
      const ids = object.Key ? idsFromOriginalKey(object.Key) : undefined;
      if (ids) refs.push({ ...ids, location: { kind: 's3', key: object.Key! } });
    }
    if (refs.length > 0) yield refs;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/**
 * Every `<productId>/<imageId>.svg` below `root` (an export of the downloads bucket, with or without the
 * `originals/` folder), walked with streaming directory handles and cut into pages.
 */
export async function* dirOriginalPages(root: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<OriginalRef[]> {
  let page: OriginalRef[] = [];
  for await (const file of walk(path.resolve(root))) {
    if (options.signal?.aborted) return;
    const imageFile = path.basename(file);
    const productId = path.basename(path.dirname(file));
    const imageId = imageFile.slice(0, -'.svg'.length);
    if (!imageFile.endsWith('.svg') || !UUID.test(imageId) || !UUID.test(productId)) continue;
    page.push({ productId, imageId, location: { kind: 'file', path: file } });
    if (page.length >= LISTING_PAGE_SIZE) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

async function* walk(directory: string): AsyncGenerator<string> {
  for await (const entry of await opendir(directory)) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}
