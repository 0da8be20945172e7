/**
 * The buyer's download of a set: every sanitised SVG under the path the contributor gave it, inside one
 * folder named after the set. Fixed dates and compression settings make the archive byte-identical
 * whenever it is built again from the same files and title.
 */
import JSZip from 'jszip';

export interface SetZipFile {
  /** Path inside the upload, relative to the manifest's folder (`line/sun.svg`). */
  filePath: string;
  svg: Buffer;
}

const ZIP_EPOCH = new Date('2020-01-01T00:00:00Z');

/** `files` in manifest order. */
export function buildSetZip(title: string, files: readonly SetZipFile[]): Promise<Buffer> {
  const zip = new JSZip();
  const root = slugForFolder(title);
  for (const { filePath, svg } of files) zip.file(`${root}/${filePath}`, svg, { date: ZIP_EPOCH, createFolders: false });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 } });
}

function slugForFolder(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'set';
}
