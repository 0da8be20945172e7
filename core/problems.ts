/** One reason an upload was rejected, phrased so that a contributor can act on it. */
export interface UploadProblem {
  /** Path inside the archive (relative to the manifest's folder) the problem concerns. */
  file?: string;
  /** Manifest field path, e.g. `images[3].file`. */
  field?: string;
  message: string;
}

/** Thrown when an upload must be rejected as a whole; carries every reason found. */
export class UploadRejectedError extends Error {
  readonly problems: UploadProblem[];

  constructor(problems: UploadProblem[]) {
    super(`upload rejected: ${problems.map(formatProblem).join('; ')}`);
    this.name = 'UploadRejectedError';
    this.problems = problems;
  }
}

/** `images[3].file: "line/sunn.svg" is listed but not in the archive` */
export function formatProblem(problem: UploadProblem): string {
  const where = problem.field ?? problem.file;
  return where ? `${where}: ${problem.message}` : problem.message;
}
