/**
 * Checks an upload ZIP in the browser before it is sent, with the pipeline's own rules where they are pure
 * (core/archive entry rules and layout, the manifest's zod schema and messages, the file cross-check). The
 * SVG files themselves are checked by the server's sanitiser after upload; sizes are checked here.
 */
import JSZip from 'jszip';
import { classifyFileName, entryPathProblem, entryTypeProblem, isOsLitter } from '../../../core/archive/entry-rules.ts';
import { findLayout } from '../../../core/archive/layout.ts';
import { MAX_ARCHIVE_BYTES, MAX_ARCHIVE_ENTRIES, MAX_MANIFEST_BYTES, MAX_PATH_LENGTH, MAX_SVG_BYTES } from '../../../core/limits.ts';
import { crossCheck } from '../../../core/manifest/cross-check.ts';
import { parseManifest } from '../../../core/manifest/parse.ts';
import type { Manifest } from '../../../core/manifest/schema.ts';
import type { UploadProblem } from '../../../core/problems.ts';

export interface UploadCheck {
  problems: UploadProblem[];
  /** The parsed manifest when it passed its schema. */
  manifest: Manifest | null;
  /** SVG files found (relative to the manifest's folder). */
  svgCount: number;
}

const MiB = 1024 * 1024;

export async function checkUploadZip(file: Blob): Promise<UploadCheck> {
  if (file.size > MAX_ARCHIVE_BYTES) {
    return { problems: [{ message: `the archive is ${(file.size / MiB).toFixed(1)} MiB; an upload may be at most ${MAX_ARCHIVE_BYTES / MiB} MiB` }], manifest: null, svgCount: 0 };
  }
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(file);
  } catch {
    return { problems: [{ message: 'the upload is not a ZIP archive; compress the folder with manifest.json and the SVG files as .zip' }], manifest: null, svgCount: 0 };
  }
  const entries = Object.values(zip.files);
  if (entries.length > MAX_ARCHIVE_ENTRIES) {
    return { problems: [{ message: `the archive holds ${entries.length} entries; at most ${MAX_ARCHIVE_ENTRIES} are allowed` }], manifest: null, svgCount: 0 };
  }
  const problems: UploadProblem[] = [];
  const rejected = new Set<string>();
  const layoutEntries: { name: string; isDirectory: boolean }[] = [];
  const accepted: { entry: JSZip.JSZipObject; kind: 'manifest' | 'svg' }[] = [];
  for (const entry of entries) {
    const mode = typeof entry.unixPermissions === 'number' ? entry.unixPermissions : null;
    const unsafe = entryPathProblem(entry.name, MAX_PATH_LENGTH) ?? entryTypeProblem(mode);
    if (unsafe) {
      problems.push({ file: entry.name, message: unsafe });
      rejected.add(entry.name);
      continue;
    }
    if (isOsLitter(entry.name)) continue;
    layoutEntries.push({ name: entry.name, isDirectory: entry.dir });
    if (entry.dir) continue;
    const classified = classifyFileName(entry.name);
    if ('problem' in classified) {
      problems.push({ file: entry.name, message: classified.problem });
      rejected.add(entry.name);
    } else accepted.push({ entry, kind: classified.kind });
  }
  const layout = findLayout(layoutEntries);
  if (!layout.ok) return { problems: [...problems, ...layout.problems], manifest: null, svgCount: 0 };

  const files = new Map<string, number>();
  let manifestText: Uint8Array | undefined;
  for (const { entry, kind } of accepted) {
    const bytes = await entry.async('uint8array');
    const limit = kind === 'manifest' ? MAX_MANIFEST_BYTES : MAX_SVG_BYTES;
    if (bytes.length > limit) {
      problems.push({ file: entry.name, message: `is ${(bytes.length / MiB).toFixed(1)} MiB; at most ${limit / MiB} MiB are allowed` });
      rejected.add(entry.name.slice(layout.root.length));
      continue;
    }
    if (kind === 'manifest') manifestText = bytes;
    else files.set(entry.name.slice(layout.root.length), bytes.length);
  }
  if (!manifestText) return { problems, manifest: null, svgCount: files.size };
  const parsed = parseManifest(new TextDecoder('utf-8').decode(manifestText));
  if (!parsed.ok) return { problems: [...problems, ...parsed.problems], manifest: null, svgCount: files.size };
  problems.push(...crossCheck(parsed.manifest, files, new Set([...rejected].map((name) => name.slice(layout.root.length)))));
  return { problems, manifest: parsed.manifest, svgCount: files.size };
}
