/**
 * The headers every stored object is written with. Callers never choose headers: the store asks here.
 * S3 cannot send arbitrary response headers, so the ones the CDN / nginx / API must add for SVG are
 * exported as `svgResponseHeaders` and also recorded in the object's metadata (x-amz-meta-*).
 */
import type { ImageFormat } from '../render/config.ts';
import { CONTENT_TYPES } from '../render/config.ts';

export interface ObjectHeaders {
  ContentType: string;
  CacheControl: string;
  ContentDisposition?: string;
  /** User metadata; S3 returns it as `x-amz-meta-<name>`. */
  Metadata?: Record<string, string>;
}

/** Versioned keys (see keys.ts) never change content, so caches may keep them for a year. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** Paid downloads go out through presigned URLs only; no shared cache may keep them. */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/**
 * Response headers for serving an SVG. Even sanitised SVG is active content if a browser renders it
 * as a document: nosniff pins the type, and the CSP forbids scripts, plugins, loads and forms while
 * allowing the inline styles sanitised SVGs may keep; `sandbox` isolates it as a unique origin.
 */
export const svgResponseHeaders: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
});

function asMetadata(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** Characters allowed as-is inside the quoted ASCII `filename`; everything else becomes `_`. */
const UNSAFE_ASCII_FILENAME = /[^A-Za-z0-9 ._()+,=@!#&{}[\]~-]/g;
const MAX_FILENAME_LENGTH = 120;

/** RFC 5987 `attr-char`: encodeURIComponent leaves `'()*` alone, which value-chars do not allow. */
function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Last path segment, control and bidi characters removed, length capped; keeps the extension. */
function cleanFileName(name: string, extension: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const visible = base.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  const stem = visible.toLowerCase().endsWith(extension) ? visible.slice(0, -extension.length) : visible;
  const capped = Array.from(stem).slice(0, MAX_FILENAME_LENGTH - extension.length).join('').trim();
  return `${capped || 'download'}${extension}`;
}

/**
 * `attachment; filename="<ascii>"; filename*=UTF-8''<percent-encoded>` (RFC 6266): old clients get a safe
 * ASCII name, current ones the real name. The header itself is pure ASCII, as HTTP and S3 require.
 */
export function attachmentDisposition(name: string, extension: string): string {
  const fileName = cleanFileName(name, extension);
  const ascii = fileName.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(UNSAFE_ASCII_FILENAME, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${rfc5987(fileName)}`;
}

export function renditionHeaders(format: ImageFormat): ObjectHeaders {
  return {
    ContentType: CONTENT_TYPES[format],
    CacheControl: IMMUTABLE_CACHE_CONTROL,
    Metadata: asMetadata({ 'X-Content-Type-Options': 'nosniff' }),
  };
}

/** A full-size rendition in the downloads bucket: private, never cached by a shared cache. */
export function fullSizeRenditionHeaders(format: ImageFormat): ObjectHeaders {
  return {
    ContentType: CONTENT_TYPES[format],
    CacheControl: PRIVATE_CACHE_CONTROL,
    Metadata: asMetadata({ 'X-Content-Type-Options': 'nosniff' }),
  };
}

/**
 * A family preview is a collage of the family's published sets. Blocking or unpublishing a set rebuilds it
 * under a new key and deletes the old one, but nothing invalidates the old URL on the CDN (a set's own
 * previews are invalidated by the API): shared caches may keep it five minutes, not a year. One object per
 * family, so revalidating it costs nothing worth caching for longer.
 */
export const FAMILY_PREVIEW_CACHE_CONTROL = 'public, max-age=300';

export function familyPreviewHeaders(format: ImageFormat): ObjectHeaders {
  return { ...renditionHeaders(format), CacheControl: FAMILY_PREVIEW_CACHE_CONTROL };
}

/** `fileName` is the contributor's file name (e.g. `line/sun.svg`); only its last segment is used. */
export function originalHeaders(fileName: string): ObjectHeaders {
  return {
    ContentType: 'image/svg+xml',
    CacheControl: PRIVATE_CACHE_CONTROL,
    ContentDisposition: attachmentDisposition(fileName, '.svg'),
    Metadata: asMetadata(svgResponseHeaders),
  };
}

/** `title` is the product title; the download is named after it. */
export function setZipHeaders(title: string): ObjectHeaders {
  return {
    ContentType: 'application/zip',
    CacheControl: PRIVATE_CACHE_CONTROL,
    ContentDisposition: attachmentDisposition(title, '.zip'),
    Metadata: asMetadata({ 'X-Content-Type-Options': 'nosniff' }),
  };
}

/** A customised render: private like every download, named after the image (`name` without extension). */
export function customHeaders(name: string, format: ImageFormat): ObjectHeaders {
  return {
    ContentType: CONTENT_TYPES[format],
    CacheControl: PRIVATE_CACHE_CONTROL,
    ContentDisposition: attachmentDisposition(name, `.${format}`),
    Metadata: asMetadata({ 'X-Content-Type-Options': 'nosniff' }),
  };
}
