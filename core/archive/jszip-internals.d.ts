/**
 * Types for the parts of jszip's own ZIP parser that `zip-entries.ts` uses.
 * jszip ships no types for its `lib/` modules; these mirror jszip 3.10.
 */
declare module 'jszip/lib/zipEntries.js' {
  export interface JSZipWorkerChunk {
    data: Uint8Array | string;
  }
  export interface JSZipWorker {
    on(event: 'data', listener: (chunk: JSZipWorkerChunk) => void): JSZipWorker;
    on(event: 'end', listener: () => void): JSZipWorker;
    on(event: 'error', listener: (error: unknown) => void): JSZipWorker;
    resume(): boolean;
    pause(): boolean;
    error(error: Error): boolean;
  }
  export interface JSZipCompressedObject {
    getContentWorker(): JSZipWorker;
  }
  export interface JSZipEntry {
    fileNameStr: string;
    dir: boolean;
    /** Set only when the entry was made on a unix system (version made by = 3). */
    unixPermissions: number | null;
    /** Declared in the central directory; signed 32-bit as jszip reads it. */
    crc32: number;
    uncompressedSize: number;
    decompressed: JSZipCompressedObject;
  }
  class ZipEntries {
    constructor(loadOptions: { decodeFileName: (bytes: Uint8Array) => string });
    files: JSZipEntry[];
    centralDirRecords: number;
    prepareReader(data: Buffer): void;
    readEndOfCentral(): void;
    readCentralDir(): void;
    readLocalFiles(): void;
  }
  export default ZipEntries;
}
