/**
 * Where manifest.json sits decides the upload's root: the archive's top level, or a single
 * folder that wraps everything (what "Compress folder" in Finder or Explorer produces).
 */
import type { UploadProblem } from '../problems.ts';
import { MANIFEST_NAME, basename, withoutTrailingSlash } from './entry-rules.ts';

export interface LayoutEntry {
  name: string;
  isDirectory: boolean;
}

export type Layout = { ok: true; root: string } | { ok: false; problems: UploadProblem[] };

const WHERE_IT_BELONGS = 'put manifest.json at the top level of the archive or inside the one folder that holds everything';

export function findLayout(entries: readonly LayoutEntry[]): Layout {
  const manifests = entries.filter((entry) => !entry.isDirectory && basename(entry.name) === MANIFEST_NAME);

  if (manifests.length === 0) {
    return reject({ message: `the archive holds no ${MANIFEST_NAME}; ${WHERE_IT_BELONGS}` });
  }
  if (manifests.length > 1) {
    const list = manifests.map((entry) => JSON.stringify(entry.name)).join(', ');
    return reject({ message: `the archive holds ${manifests.length} ${MANIFEST_NAME} files (${list}); an upload has exactly one` });
  }

  const manifestPath = manifests[0]!.name;
  const depth = manifestPath.split('/').length - 1;
  if (depth === 0) return { ok: true, root: '' };
  if (depth > 1) {
    return reject({ file: manifestPath, message: `is too deep in the archive; ${WHERE_IT_BELONGS}` });
  }

  const root = manifestPath.slice(0, -MANIFEST_NAME.length);
  const outside = entries.filter(
    (entry) => !entry.name.startsWith(root) && withoutTrailingSlash(entry.name) !== withoutTrailingSlash(root),
  );
  if (outside.length === 0) return { ok: true, root };
  return {
    ok: false,
    problems: outside.map((entry) => ({
      file: entry.name,
      message: `is outside the folder "${root}" that holds ${MANIFEST_NAME}; put everything inside that folder, or ${MANIFEST_NAME} at the top level`,
    })),
  };
}

function reject(problem: UploadProblem): Layout {
  return { ok: false, problems: [problem] };
}
