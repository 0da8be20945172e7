/**
 * The sample upload contributors can download (/samples/sample-upload.zip): a small line-icon set in the
 * upload format, folder-wrapped as "Compress folder" makes it. Built from this source, so it always follows
 * the format (a test runs it through the pipeline's own validation).
 */
import JSZip from 'jszip';

const icon = (body: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round">${body}</svg>\n`;

export const SAMPLE_FILES: Readonly<Record<string, string>> = {
  'sun.svg': icon('<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>'),
  'line/cloud.svg': icon('<path d="M7 18a4 4 0 0 1 0-8 5 5 0 0 1 9.6-1.4A4 4 0 1 1 17 18z"/>'),
  'line/cloud-rain.svg': icon('<path d="M7 14a4 4 0 0 1 0-8 5 5 0 0 1 9.6-1.4A4 4 0 1 1 17 14z"/><path d="M8 17l-1 3M12 17l-1 3M16 17l-1 3"/>'),
  'line/moon.svg': icon('<path d="M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z"/>'),
};

export const SAMPLE_MANIFEST = {
  manifestVersion: 1,
  product: {
    kind: 'icon-set',
    title: 'Sample Weather Icons',
    description: 'A sample upload: four line icons on a 24 px grid with a 1.5 px stroke.',
    family: { slug: 'sample-weather', title: 'Sample Weather' },
    license: 'free',
    tags: ['weather', 'sample', 'line'],
  },
  images: [
    { file: 'sun.svg', title: 'Sun', tags: ['sun', 'clear'] },
    { file: 'line/cloud.svg', title: 'Cloud', tags: ['cloud'] },
    { file: 'line/cloud-rain.svg', title: 'Cloud with rain', tags: ['rain', 'cloud'] },
    { file: 'line/moon.svg', title: 'Moon', tags: ['night'] },
  ],
};

/** A fixed date on the files, so the download does not look new every day. */
const FIXED_DATE = new Date(Date.UTC(2024, 0, 1));

export async function buildSampleUpload(): Promise<Uint8Array> {
  const zip = new JSZip();
  const folder = zip.folder('sample-weather-icons')!;
  folder.file('manifest.json', `${JSON.stringify(SAMPLE_MANIFEST, null, 2)}\n`, { date: FIXED_DATE });
  for (const [name, svg] of Object.entries(SAMPLE_FILES)) folder.file(name, svg, { date: FIXED_DATE, createFolders: true });
  return zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' });
}
