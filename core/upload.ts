/**
 * The upload contract in one call: the ImageBatcher Lambda runs this before it writes anything.
 * readArchive → parseManifest → cross-check files ↔ manifest → sanitise every SVG.
 * Every problem from every stage that can run is collected into one `UploadRejectedError`:
 * an archive with a stray file still gets its manifest and SVGs checked in the same answer, and an
 * archive without a usable manifest.json (none, two, misplaced) still gets every SVG checked.
 */
import { createHash } from 'node:crypto';
import { inspectArchive } from './archive/index.ts';
import { crossCheck } from './manifest/cross-check.ts';
import { parseManifest, type Manifest } from './manifest/index.ts';
import { UploadRejectedError, type UploadProblem } from './problems.ts';
import { sanitisedSvgFrom, type SanitisedSvg } from './storage/sanitised.ts';
import { sanitizeSvg } from './svg/index.ts';

export interface ValidImage {
  /** Position in `manifest.images`. */
  index: number;
  file: string;
  title: string;
  tags: string[];
  /** Sanitised bytes: the only SVG bytes that may ever be served. */
  svg: SanitisedSvg;
  width: number;
  height: number;
  /** Hex SHA-256 of the sanitised bytes. */
  sha256: string;
  /** What sanitising removed that changes the file (comments and the like are left out), in words. */
  removed: string[];
}

export interface ValidUpload {
  manifest: Manifest;
  /** In manifest order. */
  images: ValidImage[];
}

export async function validateUpload(zip: Buffer): Promise<ValidUpload> {
  const { problems, contents, rejected, unplacedSvgs } = await inspectArchive(zip);
  if (!contents) {
    // Without a layout and a manifest nothing can be cross-checked, but every SVG can still be: one round.
    problems.push(...sanitiseAll(unplacedSvgs ?? new Map()));
    throw new UploadRejectedError(problems);
  }

  const parsed = parseManifest(contents.manifest);
  if (!parsed.ok) {
    // Without a file list, still say which SVGs would be refused on their own.
    problems.push(...parsed.problems, ...sanitiseAll(contents.files));
    throw new UploadRejectedError(problems);
  }

  const { manifest } = parsed;
  problems.push(...crossCheck(manifest, contents.files, rejected));
  const images: ValidImage[] = [];

  manifest.images.forEach((image, index) => {
    const bytes = contents.files.get(image.file);
    if (!bytes) return; // reported by the archive checks or the cross-check
    const result = sanitizeSvg(bytes);
    if (!result.ok) {
      problems.push({ file: image.file, field: `images[${index}].file`, message: result.reason });
      return;
    }
    images.push({
      index,
      file: image.file,
      title: image.title,
      tags: image.tags ?? [],
      svg: sanitisedSvgFrom(result),
      width: result.width,
      height: result.height,
      sha256: createHash('sha256').update(result.svg).digest('hex'),
      removed: result.removed.filter((what) => !UNREMARKABLE_REMOVALS.test(what)),
    });
  });

  if (problems.length > 0) throw new UploadRejectedError(problems);
  return { manifest, images };
}

/** Removals that change nothing a contributor drew or scripted: not worth a warning. */
const UNREMARKABLE_REMOVALS = /^(comment|DOCTYPE|<\?[^>]*\?> processing instruction)( \(×\d+\))?$/;

/** The contributor's warnings for an accepted set: per file, what sanitising removed. */
export function sanitiserWarnings(images: readonly ValidImage[]): Array<{ file: string; removed: string[]; message: string }> {
  return images
    .filter((image) => image.removed.length > 0)
    .map((image) => ({ file: image.file, removed: image.removed, message: `sanitising removed ${image.removed.join('; ')}` }));
}

function sanitiseAll(files: ReadonlyMap<string, Buffer>): UploadProblem[] {
  const problems: UploadProblem[] = [];
  for (const [file, bytes] of files) {
    const result = sanitizeSvg(bytes);
    if (!result.ok) problems.push({ file, message: result.reason });
  }
  return problems;
}
