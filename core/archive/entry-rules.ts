/**
 * Rules about single archive entries: what a name may look like, what an entry may be,
 * and which entries are operating-system litter to be ignored.
 */

const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/u;

/** Why an entry name is unsafe or malformed, or null when it is a plain relative path. */
export function entryPathProblem(name: string, maxLength: number): string | null {
  if (name === '' || name === '/') return 'has an empty name';
  if (name.length > maxLength) return `has a path longer than ${maxLength} characters (${name.length})`;
  if (CONTROL_CHARACTER.test(name)) return 'has control characters in its name';
  if (name.includes('\\')) return 'uses "\\" in its path; ZIP paths must separate folders with "/"';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    return 'is an absolute path; every path in the archive must be relative';
  }
  const segments = withoutTrailingSlash(name).split('/');
  if (segments.includes('..')) return 'has a ".." in its path, which would place it outside the upload';
  if (segments.some((segment) => segment === '' || segment === '.')) {
    return 'has an empty or "." folder in its path; re-create the archive with a standard tool';
  }
  return null;
}

const FILE_TYPE_MASK = 0o170000;
const REGULAR_FILE = 0o100000;
const DIRECTORY = 0o040000;
const SYMBOLIC_LINK = 0o120000;

/** Why an entry's unix file type is not allowed (links, devices, pipes), or null. */
export function entryTypeProblem(unixMode: number | null): string | null {
  if (unixMode === null) return null;
  const type = unixMode & FILE_TYPE_MASK;
  if (type === SYMBOLIC_LINK) return 'is a symbolic link; links are not allowed, put the file itself in the archive';
  if (type !== 0 && type !== REGULAR_FILE && type !== DIRECTORY) {
    return 'is a special file (device, pipe or socket), not a regular file';
  }
  return null;
}

const LITTER_NAMES = new Set(['.ds_store', 'thumbs.db', 'desktop.ini']);

/** Files that Finder, Explorer and friends add behind the contributor's back. */
export function isOsLitter(name: string): boolean {
  const segments = withoutTrailingSlash(name).split('/');
  if (segments.includes('__MACOSX')) return true;
  const base = segments.at(-1) ?? '';
  return LITTER_NAMES.has(base.toLowerCase()) || base.startsWith('._');
}

export const MANIFEST_NAME = 'manifest.json';

const ARCHIVE_EXTENSION = /\.(zip|tar|gz|tgz|7z|rar|bz2|xz)$/i;

export type EntryKind = 'manifest' | 'svg';

/** What a file entry is by name, or why its type is not allowed. */
export function classifyFileName(name: string): { kind: EntryKind } | { problem: string } {
  const base = basename(name);
  if (base === MANIFEST_NAME) return { kind: 'manifest' };
  if (/\.svg$/i.test(base)) return { kind: 'svg' };
  const archive = ARCHIVE_EXTENSION.exec(base);
  if (archive) {
    return { problem: `is a nested archive (${archive[0]}); unpack it and put its SVG files in the upload itself` };
  }
  return { problem: 'is not allowed: an upload holds only .svg files and one manifest.json' };
}

/**
 * Names that land on the same file on macOS and Windows (case-insensitive, normalisation-
 * insensitive file systems) share a key.
 */
export function collisionKey(name: string): string {
  return withoutTrailingSlash(name).normalize('NFC').toLowerCase();
}

export function basename(name: string): string {
  return withoutTrailingSlash(name).split('/').at(-1) ?? '';
}

export function withoutTrailingSlash(name: string): string {
  return name.endsWith('/') ? name.slice(0, -1) : name;
}
