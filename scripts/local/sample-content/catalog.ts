/**
 * The sample content `npm start` ingests on first start: real icon and illustration sets built
 * from permissively licensed packages on npm (licences in ./NOTICE.md), run through the real
 * pipeline as contributor uploads so the storefront shows several families at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import JSZip from 'jszip';

const require = createRequire(import.meta.url);
const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));

export interface SampleContributor {
  slug: string;
  displayName: string;
  email: string;
}

export interface SampleSet {
  contributor: SampleContributor['slug'];
  /** A stable name: the sample loader ingests each set once. */
  name: string;
  build(): Promise<Buffer>;
}

export const SAMPLE_CONTRIBUTORS: SampleContributor[] = [
  { slug: 'lucide-studio', displayName: 'Lucide Studio', email: 'lucide@example.test' },
  { slug: 'tabler-works', displayName: 'Tabler Works', email: 'tabler@example.test' },
  { slug: 'gravity-art', displayName: 'Gravity Art', email: 'gravity@example.test' },
];

const WEATHER = /^(cloud(-(drizzle|fog|hail|lightning|moon|moon-rain|rain|rain-wind|snow|sun|sun-rain|storm|bolt))?|cloudy|sun(-dim|-medium|-moon|-snow)?|sunrise|sunset|moon(-star|-stars)?|snowflake|rainbow|tornado|umbrella|wind|droplet|droplets|thermometer(-sun|-snowflake)?|temperature(-sun|-snow)?|haze|storm)\.svg$/;
const ARROWS = /^arrow-(up|down|left|right|up-right|down-left|big-up|big-down|big-left|big-right|up-down|left-right)\.svg$/;
const FILES = /^(file|folder)(-(text|plus|minus|check|x|search|lock|heart|code|image|music|video|archive|up|down))?\.svg$/;

export const SAMPLE_SETS: SampleSet[] = [
  lucideSet('weather-line', 'Weather Line Icons', 'weather', 'Weather', WEATHER, 'free'),
  lucideSet('arrows-line', 'Arrows Line Icons', 'arrows', 'Arrows', ARROWS, 'standard'),
  lucideSet('files-line', 'Files and Folders Line Icons', 'files', 'Files and folders', FILES, 'standard'),
  tablerSet('weather-outline', 'Weather Outline Icons', 'outline', WEATHER),
  tablerSet('weather-filled', 'Weather Filled Icons', 'filled', WEATHER),
  gravitySet('states-light', 'Empty States — Light', 'light'),
  gravitySet('states-dark', 'Empty States — Dark', 'dark'),
];

function lucideSet(name: string, title: string, family: string, familyTitle: string, pattern: RegExp, license: string): SampleSet {
  return {
    contributor: 'lucide-studio',
    name,
    async build() {
      const dir = path.join(packageDir('lucide-static'), 'icons');
      const tags = JSON.parse(await readFile(path.join(packageDir('lucide-static'), 'tags.json'), 'utf8')) as Record<string, string[]>;
      const files = (await readdir(dir)).filter((f) => pattern.test(f)).sort().slice(0, 24);
      return zipOf(
        {
          kind: 'icon-set',
          title,
          description: `${title} drawn on a 24 px grid with a 2 px stroke. From Lucide (ISC licence).`,
          family: { slug: family, title: familyTitle },
          license,
          tags: [family, 'line', 'lucide'],
          ...(license === 'free' ? {} : { price: { amount: 900, currency: 'USD' } }),
        },
        await Promise.all(
          files.map(async (file) => {
            const id = file.replace(/\.svg$/, '');
            return { file, title: titleOf(id), tags: (tags[id] ?? []).slice(0, 10), svg: await readFile(path.join(dir, file)) };
          }),
        ),
      );
    },
  };
}

function tablerSet(name: string, title: string, style: 'outline' | 'filled', pattern: RegExp): SampleSet {
  return {
    contributor: 'tabler-works',
    name,
    async build() {
      const dir = path.join(packageDir('@tabler/icons'), 'icons', style);
      const files = (await readdir(dir)).filter((f) => pattern.test(f)).sort().slice(0, 24);
      return zipOf(
        {
          kind: 'icon-set',
          title,
          description: `${title} on a 24 px grid. From Tabler Icons (MIT licence).`,
          family: { slug: 'weather', title: 'Weather' },
          license: 'standard',
          tags: ['weather', style, 'tabler'],
          price: { amount: 1200, currency: 'USD' },
        },
        await Promise.all(
          files.map(async (file) => ({
            file: `${style}/${file}`,
            title: titleOf(file.replace(/\.svg$/, '')),
            tags: file.replace(/\.svg$/, '').split('-'),
            svg: await readFile(path.join(dir, file)),
          })),
        ),
      );
    },
  };
}

function gravitySet(name: string, title: string, theme: 'light' | 'dark'): SampleSet {
  return {
    contributor: 'gravity-art',
    name,
    async build() {
      const dir = path.join(packageDir('@gravity-ui/illustrations'), 'svgs');
      const suffix = `-${theme}.svg`;
      const files = (await readdir(dir)).filter((f) => f.endsWith(suffix)).sort().slice(0, 8);
      return zipOf(
        {
          kind: 'illustration-set',
          title,
          description: `Friendly illustrations for empty, error and success states, ${theme} theme. From Gravity UI (MIT licence).`,
          family: { slug: 'empty-states', title: 'Empty states' },
          license: 'extended',
          tags: ['illustration', 'empty state', theme],
          price: { amount: 2900, currency: 'USD' },
        },
        await Promise.all(
          files.map(async (file) => {
            const id = file.slice(0, -suffix.length);
            return { file, title: titleOf(id), tags: id.split('-'), svg: await readFile(path.join(dir, file)) };
          }),
        ),
      );
    },
  };
}

async function zipOf(
  product: Record<string, unknown>,
  images: Array<{ file: string; title: string; tags: string[]; svg: Buffer }>,
): Promise<Buffer> {
  const zip = new JSZip();
  const manifest = {
    manifestVersion: 1,
    product,
    images: images.map(({ file, title, tags }) => ({ file, title, tags: tags.map((t) => t.slice(0, 40)).slice(0, 30) })),
  };
  zip.file('manifest.json', JSON.stringify(manifest, null, 2));
  for (const image of images) zip.file(image.file, image.svg);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}

function titleOf(id: string): string {
  const words = id.replace(/-/g, ' ');
  return (words.charAt(0).toUpperCase() + words.slice(1)).slice(0, 120);
}
