/**
 * The manifest against the archive's files: every listed file must be present; every SVG present must be
 * listed. Pure, so the storefront's upload checker runs the same rule in the browser.
 */
import type { UploadProblem } from '../problems.ts';
import type { Manifest } from './schema.ts';

/** `rejected`: files the archive checks already refused, not reported a second time as missing. */
export function crossCheck(
  manifest: Pick<Manifest, 'images'>,
  files: { has(name: string): boolean; keys(): Iterable<string> },
  rejected: ReadonlySet<string>,
): UploadProblem[] {
  const problems: UploadProblem[] = [];
  const listed = new Set<string>();
  manifest.images.forEach((image, index) => {
    listed.add(image.file);
    if (!files.has(image.file) && !rejected.has(image.file)) {
      problems.push({
        file: image.file,
        field: `images[${index}].file`,
        message: `${JSON.stringify(image.file)} is listed but not in the archive`,
      });
    }
  });
  for (const file of files.keys()) {
    if (!listed.has(file)) {
      problems.push({ file, message: `file ${JSON.stringify(file)} is in the archive but not listed in manifest.json` });
    }
  }
  return problems;
}
