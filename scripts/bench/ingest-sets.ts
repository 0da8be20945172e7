/**
 * Real upload ZIPs built at run time from icon packages in devDependencies, each with a manifest.json
 * valid under shared/docs/upload-format.md. The ingest benchmark and the 2,000-image pipeline test use
 * them, so both measure what a contributor would upload, not generated shapes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import JSZip from 'jszip';
import type { ProductKind } from '../../core/render/index.ts';

export interface UploadSetFile {
  /** Path inside the archive (and in the manifest), with sub-folders where the set has them. */
  file: string;
  svg: Buffer;
}

export interface UploadSet {
  name: string;
  kind: ProductKind;
  /** Where the files come from, for the report. */
  source: string;
  files: UploadSetFile[];
}

export interface UploadSetDefinition {
  name: string;
  kind: ProductKind;
  source: string;
  build(): Promise<UploadSetFile[]>;
}

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** `count` files spread evenly over the sorted listing, so a set is not 2,000 variants of one letter. */
async function evenlySpaced(dir: string, count: number): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.svg')).sort();
  if (files.length < count) throw new RangeError(`${dir} holds ${files.length} SVGs; ${count} are needed`);
  const step = files.length / count;
  return Array.from({ length: count }, (_, i) => files[Math.floor(i * step)]!);
}

async function readFiles(dir: string, names: string[], place: (name: string) => string): Promise<UploadSetFile[]> {
  return Promise.all(names.map(async (name) => ({ file: place(name), svg: await readFile(path.join(dir, name)) })));
}

/** 50 Lucide icons (ISC), flat at the archive's root. */
export const LUCIDE_50: UploadSetDefinition = {
  name: '50 icons',
  kind: 'icon-set',
  source: 'lucide-static',
  build: async () => {
    const dir = path.join(packageDir('lucide-static'), 'icons');
    return readFiles(dir, await evenlySpaced(dir, 50), (name) => name);
  },
};

/** Sub-folder of a Material Design icon by its first letter: three folders, as a contributor groups files. */
function mdiFolder(name: string): string {
  const first = name[0]!;
  if (first <= 'h') return 'a-h';
  if (first <= 'r') return 'i-r';
  return 's-z';
}

/** 300 Material Design Icons (Apache-2.0) in three sub-folders. */
export const MDI_300: UploadSetDefinition = {
  name: '300 icons in sub-folders',
  kind: 'icon-set',
  source: '@mdi/svg',
  build: async () => {
    const dir = path.join(packageDir('@mdi/svg'), 'svg');
    return readFiles(dir, await evenlySpaced(dir, 300), (name) => `${mdiFolder(name)}/${name}`);
  },
};

/** 80 Gravity UI illustrations (MIT), light and dark variants. */
export const GRAVITY_80: UploadSetDefinition = {
  name: '80 illustrations',
  kind: 'illustration-set',
  source: '@gravity-ui/illustrations',
  build: async () => {
    const dir = path.join(packageDir('@gravity-ui/illustrations'), 'svgs');
    return readFiles(dir, await evenlySpaced(dir, 80), (name) => name);
  },
};

/** 2,000 Tabler outline icons (MIT) in one set: the most the upload format allows. */
export const TABLER_2000: UploadSetDefinition = {
  name: '2,000 icons',
  kind: 'icon-set',
  source: '@tabler/icons (outline)',
  build: async () => {
    const dir = path.join(packageDir('@tabler/icons'), 'icons', 'outline');
    return readFiles(dir, await evenlySpaced(dir, 2000), (name) => name);
  },
};

export const BENCH_SETS: readonly UploadSetDefinition[] = [LUCIDE_50, MDI_300, GRAVITY_80, TABLER_2000];

export async function buildUploadSet(definition: UploadSetDefinition): Promise<UploadSet> {
  const { name, kind, source } = definition;
  return { name, kind, source, files: await definition.build() };
}

/** `line/cloud-rain.svg` → `Cloud rain`. */
function titleFor(file: string): string {
  const words = path.basename(file, '.svg').replace(/[-_]+/g, ' ').trim();
  return (words.charAt(0).toUpperCase() + words.slice(1)).slice(0, 120) || 'Untitled';
}

/** The set as a contributor's ZIP: manifest.json at the root, every SVG listed once. */
export async function uploadZip(set: UploadSet, family: { slug: string }): Promise<Buffer> {
  const zip = new JSZip();
  zip.file(
    'manifest.json',
    JSON.stringify({
      manifestVersion: 1,
      product: { kind: set.kind, title: `${set.name} from ${set.source}`.slice(0, 120), family, license: 'free' },
      images: set.files.map(({ file }) => ({ file, title: titleFor(file) })),
    }),
  );
  for (const { file, svg } of set.files) zip.file(file, svg);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
