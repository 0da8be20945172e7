/**
 * Lists a ZIP's entries exactly as stored, using jszip's own central-directory parser.
 *
 * jszip's public `loadAsync` is not used because it "resolves" names before we can see them:
 * `a/../../x` silently becomes `x`, and a second entry with the same name silently replaces
 * the first. Both are precisely what an upload must be rejected for, so we read one level down.
 */
import { crc32 } from 'node:zlib';
import ZipEntries, { type JSZipEntry } from 'jszip/lib/zipEntries.js';

export interface ZipEntry {
  /** The name as stored (decoded as UTF-8), before any normalisation. */
  name: string;
  isDirectory: boolean;
  /** `st_mode` from the external attributes when the archive was made on unix, else null. */
  unixMode: number | null;
  /** What the headers claim; informative only, never trusted. */
  declaredSize: number;
  /** jszip's entry, kept for `inflateEntry`. */
  readonly source: JSZipEntry;
}

/** Why a buffer could not be read as a ZIP at all. */
export class UnreadableZipError extends Error {
  constructor(
    readonly reason: 'not-a-zip' | 'encrypted' | 'unsupported-compression' | 'damaged',
    detail: string,
  ) {
    super(detail);
    this.name = 'UnreadableZipError';
  }
}

const utf8 = new TextDecoder('utf-8');

/** An empty ZIP is its 22-byte end-of-central-directory record alone. */
const SMALLEST_ZIP_BYTES = 22;

export interface ZipListing {
  /** What the end-of-central-directory record claims, checked before parsing the entries. */
  declaredEntryCount: number;
  entries: ZipEntry[];
}

/**
 * Reads the central directory. `maxDeclaredEntries` stops before parsing entry headers when the
 * archive itself admits to holding too many; the real count is checked by the caller.
 */
export function listZipEntries(zip: Buffer, maxDeclaredEntries: number): ZipListing {
  if (zip.length < SMALLEST_ZIP_BYTES) throw new UnreadableZipError('not-a-zip', `only ${zip.length} bytes`);
  const parser = new ZipEntries({ decodeFileName: (bytes) => utf8.decode(bytes) });
  try {
    parser.prepareReader(zip);
    parser.readEndOfCentral();
    if (parser.centralDirRecords > maxDeclaredEntries) {
      return { declaredEntryCount: parser.centralDirRecords, entries: [] };
    }
    parser.readCentralDir();
    parser.readLocalFiles();
  } catch (error) {
    throw classifyParseError(error);
  }
  return {
    declaredEntryCount: parser.centralDirRecords,
    entries: parser.files.map((file) => ({
      name: file.fileNameStr,
      isDirectory: file.dir,
      unixMode: file.unixPermissions,
      declaredSize: file.uncompressedSize,
      source: file,
    })),
  };
}

function classifyParseError(error: unknown): UnreadableZipError {
  const message = error instanceof Error ? error.message : String(error);
  if (/is this a zip file/i.test(message)) {
    return new UnreadableZipError('not-a-zip', message);
  }
  if (/encrypted/i.test(message)) return new UnreadableZipError('encrypted', message);
  if (/compression .* unknown/i.test(message)) return new UnreadableZipError('unsupported-compression', message);
  return new UnreadableZipError('damaged', message);
}

export type InflateResult =
  | { ok: true; bytes: Buffer }
  | { ok: false; reason: 'too-large'; bytesSeen: number }
  | { ok: false; reason: 'damaged'; detail: string };

/**
 * Inflates one entry, counting bytes as they come out of the decompressor and stopping as soon
 * as `maxBytes` is passed: the sizes in the headers can lie, the running count cannot.
 * Also verifies the CRC-32, so a truncated or tampered entry is not taken for a good one.
 */
export function inflateEntry(entry: ZipEntry, maxBytes: number): Promise<InflateResult> {
  return new Promise((resolve) => {
    const worker = entry.source.decompressed.getContentWorker();
    const chunks: Buffer[] = [];
    let total = 0;
    let checksum = 0;
    let settled = false;
    const settle = (result: InflateResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };

    worker.on('data', ({ data }) => {
      if (settled) return;
      // Copy: the decompressor owns its output buffers.
      const chunk = typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data);
      total += chunk.length;
      if (total > maxBytes) {
        settle({ ok: false, reason: 'too-large', bytesSeen: total });
        // Pausing stops the reader feeding the inflater. Not `worker.error()`: it clears the
        // listener list while jszip is still iterating it, which crashes inside jszip.
        worker.pause();
        return;
      }
      checksum = crc32(chunk, checksum);
      chunks.push(chunk);
    });
    worker.on('error', (error) => {
      const message = error instanceof Error ? error.message : String(error);
      const detail = /size mismatch/.test(message) ? 'its unpacked size differs from the size in its header' : message;
      settle({ ok: false, reason: 'damaged', detail });
    });
    worker.on('end', () => {
      if ((checksum >>> 0) !== (entry.source.crc32 >>> 0)) {
        settle({ ok: false, reason: 'damaged', detail: 'CRC-32 mismatch' });
        return;
      }
      settle({ ok: true, bytes: Buffer.concat(chunks, total) });
    });
    worker.resume();
  });
}
