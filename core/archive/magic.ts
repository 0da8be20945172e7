/** Recognises archives by their first bytes, whatever their file name claims. */

interface Signature {
  format: string;
  offset: number;
  bytes: readonly number[];
}

const SIGNATURES: readonly Signature[] = [
  { format: 'ZIP', offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04] },
  { format: 'ZIP', offset: 0, bytes: [0x50, 0x4b, 0x05, 0x06] }, // empty ZIP
  { format: 'ZIP', offset: 0, bytes: [0x50, 0x4b, 0x07, 0x08] }, // spanned ZIP
  { format: 'gzip', offset: 0, bytes: [0x1f, 0x8b] },
  { format: 'bzip2', offset: 0, bytes: [0x42, 0x5a, 0x68] },
  { format: 'xz', offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { format: '7-Zip', offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { format: 'RAR', offset: 0, bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  { format: 'tar', offset: 257, bytes: [0x75, 0x73, 0x74, 0x61, 0x72] }, // "ustar"
];

/** The archive format `content` starts with, or null. */
export function detectArchiveFormat(content: Uint8Array): string | null {
  for (const { format, offset, bytes } of SIGNATURES) {
    if (content.length < offset + bytes.length) continue;
    if (bytes.every((byte, i) => content[offset + i] === byte)) return format;
  }
  return null;
}
