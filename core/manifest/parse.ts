import type { UploadProblem } from '../problems.ts';
import { MANIFEST_FILE, issuesToProblems } from './issues.ts';
import { manifestSchema, type Manifest } from './schema.ts';

export type ParseManifestResult = { ok: true; manifest: Manifest } | { ok: false; problems: UploadProblem[] };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses and validates manifest.json, reporting every problem found, not only the first. */
export function parseManifest(raw: string | Buffer): ParseManifestResult {
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : utf8.decode(raw);
  } catch {
    return reject('is not valid UTF-8 text; save it as UTF-8');
  }
  // Windows editors like to start UTF-8 files with a byte-order mark, which JSON.parse refuses.
  if (text.startsWith('\uFEFF')) text = text.slice(1);

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return reject(`is not valid JSON: ${describeJsonError(error, text)}`);
  }

  const result = manifestSchema.safeParse(data, { reportInput: true });
  if (result.success) return { ok: true, manifest: result.data };
  return { ok: false, problems: issuesToProblems(result.error.issues) };
}

function reject(message: string): ParseManifestResult {
  return { ok: false, problems: [{ file: MANIFEST_FILE, message }] };
}

/** V8 says "... in JSON at position 57"; a contributor's editor shows lines and columns. */
function describeJsonError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(message);
  if (!position) return message;
  const offset = Number(position[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  const what = message.slice(0, position.index).replace(/\s*in JSON\s*$/, '').trim();
  return `${what} at line ${line}, column ${column}`;
}
