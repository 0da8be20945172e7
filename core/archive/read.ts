/**
 * Safe reading of an uploaded ZIP: every entry is vetted by name and type before a byte is
 * inflated, and bytes are counted while inflating, since a ZIP's own size fields can lie.
 */
import {
  MAX_ARCHIVE_BYTES,
  MAX_ARCHIVE_ENTRIES,
  MAX_MANIFEST_BYTES,
  MAX_PATH_LENGTH,
  MAX_SVG_BYTES,
  MAX_UNCOMPRESSED_BYTES,
} from '../limits.ts';
import { UploadRejectedError, type UploadProblem } from '../problems.ts';
import {
  classifyFileName,
  collisionKey,
  entryPathProblem,
  entryTypeProblem,
  isOsLitter,
  type EntryKind,
} from './entry-rules.ts';
import { findLayout, type LayoutEntry } from './layout.ts';
import { detectArchiveFormat } from './magic.ts';
import { UnreadableZipError, inflateEntry, listZipEntries, type ZipEntry } from './zip-entries.ts';

export interface ArchiveContents {
  /** The bytes of manifest.json, not yet parsed. */
  manifest: Buffer;
  /** `''` when manifest.json is at the top level, else the wrapping folder with a slash (`'weather/'`). */
  root: string;
  /** Every SVG, keyed by its path relative to the manifest's folder. OS litter is left out. */
  files: Map<string, Buffer>;
}

export interface ArchiveLimits {
  maxArchiveBytes: number;
  maxEntries: number;
  maxUncompressedBytes: number;
  maxSvgBytes: number;
  maxManifestBytes: number;
  maxPathLength: number;
}

export const ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxArchiveBytes: MAX_ARCHIVE_BYTES,
  maxEntries: MAX_ARCHIVE_ENTRIES,
  maxUncompressedBytes: MAX_UNCOMPRESSED_BYTES,
  maxSvgBytes: MAX_SVG_BYTES,
  maxManifestBytes: MAX_MANIFEST_BYTES,
  maxPathLength: MAX_PATH_LENGTH,
});

interface AcceptedFile {
  entry: ZipEntry;
  kind: EntryKind;
}

/**
 * What the archive checks found. `contents` is there whenever the layout is known and
 * manifest.json unpacked, even if other entries were rejected, so that later stages can still
 * report their own problems in the same answer.
 */
export interface ArchiveInspection {
  problems: UploadProblem[];
  contents?: ArchiveContents;
  /** Paths (relative to `contents.root`) of entries the checks rejected; not in `contents.files`. */
  rejected: Set<string>;
  /**
   * Without `contents` (no usable layout or manifest.json): every SVG that could be unpacked, by its
   * path in the archive, so the SVGs can still be checked and reported in the same answer.
   */
  unplacedSvgs?: Map<string, Buffer>;
}

/**
 * Reads an uploaded ZIP. Throws `UploadRejectedError` listing every problem found.
 * `limits` defaults to the pipeline's limits; tests pass smaller ones.
 */
export async function readArchive(zip: Buffer, limits: Readonly<ArchiveLimits> = ARCHIVE_LIMITS): Promise<ArchiveContents> {
  const { problems, contents } = await inspectArchive(zip, limits);
  if (problems.length > 0 || !contents) throw new UploadRejectedError(problems);
  return contents;
}

/** Like `readArchive`, but returns the problems with whatever could be read. */
export async function inspectArchive(zip: Buffer, limits: Readonly<ArchiveLimits> = ARCHIVE_LIMITS): Promise<ArchiveInspection> {
  if (zip.length > limits.maxArchiveBytes) {
    return fatal(`the archive is ${formatBytes(zip.length)}; the limit is ${formatBytes(limits.maxArchiveBytes)}`);
  }
  const listed = listEntries(zip, limits.maxEntries);
  if ('fatal' in listed) return fatal(listed.fatal);

  const { accepted, layoutEntries, problems, rejectedNames } = vetEntries(listed.entries, limits);
  const layout = findLayout(layoutEntries);
  if (!layout.ok) problems.push(...layout.problems);

  // Inflate even when the upload is already rejected, so the contributor hears of every problem at once.
  const inflated = await inflateAccepted(accepted, limits);
  problems.push(...inflated.problems);
  for (const name of inflated.rejectedNames) rejectedNames.add(name);

  if (!layout.ok || inflated.manifest === undefined) return { problems, rejected: new Set(), unplacedSvgs: inflated.svgs };
  const relative = (name: string) => name.slice(layout.root.length);
  const files = new Map<string, Buffer>();
  for (const [name, bytes] of inflated.svgs) files.set(relative(name), bytes);
  return {
    problems,
    contents: { manifest: inflated.manifest, root: layout.root, files },
    rejected: new Set([...rejectedNames].filter((name) => name.startsWith(layout.root)).map(relative)),
  };
}

function fatal(message: string): ArchiveInspection {
  return { problems: [{ message }], rejected: new Set() };
}

function listEntries(zip: Buffer, maxEntries: number): { entries: ZipEntry[] } | { fatal: string } {
  let listing;
  try {
    listing = listZipEntries(zip, maxEntries);
  } catch (error) {
    if (error instanceof UnreadableZipError) return { fatal: unreadableMessage(error) };
    throw error;
  }
  const count = Math.max(listing.declaredEntryCount, listing.entries.length);
  if (count > maxEntries) return { fatal: `the archive holds ${count} entries; at most ${maxEntries} are allowed` };
  return { entries: listing.entries };
}

function unreadableMessage(error: UnreadableZipError): string {
  switch (error.reason) {
    case 'not-a-zip':
      return 'the upload is not a ZIP archive; compress the folder with manifest.json and the SVG files as .zip';
    case 'encrypted':
      return 'the archive is password-protected; upload it without a password';
    case 'unsupported-compression':
      return 'the archive uses a compression method other than Deflate; re-create it with a standard ZIP tool';
    case 'damaged':
      return `the archive is damaged and cannot be read (${error.message}); re-create it`;
  }
}

/** Name and type checks for every entry; nothing is inflated here. */
function vetEntries(entries: readonly ZipEntry[], limits: Readonly<ArchiveLimits>) {
  const problems: UploadProblem[] = [];
  const accepted: AcceptedFile[] = [];
  const layoutEntries: LayoutEntry[] = [];
  const rejectedNames = new Set<string>();
  const firstNameByKey = new Map<string, string>();
  const reject = (file: string, message: string) => {
    problems.push({ file, message });
    rejectedNames.add(file);
  };

  for (const entry of entries) {
    const file = entry.name;
    // Unsafe names and links are rejected even when they pose as litter.
    const unsafe = entryPathProblem(file, limits.maxPathLength) ?? entryTypeProblem(entry.unixMode);
    if (unsafe) {
      reject(file, unsafe);
      continue;
    }
    if (isOsLitter(file)) continue;

    const key = collisionKey(file);
    const earlier = firstNameByKey.get(key);
    if (earlier !== undefined) {
      reject(file, collisionMessage(earlier, file));
      continue;
    }
    firstNameByKey.set(key, file);
    layoutEntries.push({ name: file, isDirectory: entry.isDirectory });
    if (entry.isDirectory) continue;

    const classified = classifyFileName(file);
    if ('problem' in classified) reject(file, classified.problem);
    else accepted.push({ entry, kind: classified.kind });
  }
  return { accepted, layoutEntries, problems, rejectedNames };
}

async function inflateAccepted(accepted: readonly AcceptedFile[], limits: Readonly<ArchiveLimits>) {
  const problems: UploadProblem[] = [];
  const rejectedNames = new Set<string>();
  const svgs = new Map<string, Buffer>();
  let manifest: Buffer | undefined;
  let total = 0;
  const reject = (file: string, message: string) => {
    problems.push({ file, message });
    rejectedNames.add(file);
  };

  for (const { entry, kind } of accepted) {
    const file = entry.name;
    const entryLimit = kind === 'manifest' ? limits.maxManifestBytes : limits.maxSvgBytes;
    const remaining = limits.maxUncompressedBytes - total;
    const result = await inflateEntry(entry, Math.min(entryLimit, remaining));

    if (!result.ok && result.reason === 'too-large') {
      if (entryLimit > remaining) {
        problems.push({
          message: `the archive unpacks to more than ${formatBytes(limits.maxUncompressedBytes)} in total, the limit for one upload; split it into smaller sets`,
        });
        break;
      }
      const what = kind === 'manifest' ? 'manifest.json' : 'one SVG';
      const claimed = entry.declaredSize <= entryLimit ? ` (its header claims ${entry.declaredSize} bytes)` : '';
      reject(file, `unpacks to more than ${formatBytes(entryLimit)}, the limit for ${what}${claimed}`);
      continue;
    }
    if (!result.ok) {
      reject(file, `is damaged and cannot be unpacked (${result.detail}); re-create the archive`);
      continue;
    }

    total += result.bytes.length;
    const disguisedAs = detectArchiveFormat(result.bytes);
    if (disguisedAs) {
      reject(file, `is really a ${disguisedAs} archive, not ${kind === 'svg' ? 'an SVG' : 'JSON'}; nested archives are not allowed`);
      continue;
    }
    if (kind === 'manifest') manifest = result.bytes;
    else svgs.set(file, result.bytes);
  }
  return { problems, rejectedNames, svgs, manifest };
}

function collisionMessage(earlier: string, name: string): string {
  if (earlier === name) return 'appears twice in the archive';
  if (earlier.normalize('NFC') === name.normalize('NFC')) {
    return `is "${earlier}" again, in a different Unicode form; they would be one file on macOS, so keep one`;
  }
  return `clashes with "${earlier}": the names differ only in letter case, so they would be one file on macOS and Windows`;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** `5 MiB`, `200 KiB`, `1000 bytes`: the units a contributor sees in their file manager. */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB) return `${Number((bytes / MiB).toFixed(1))} MiB`;
  if (bytes >= KiB) return `${Number((bytes / KiB).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}
