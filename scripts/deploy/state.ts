import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EMPTY_HOST, hostImagesSchema, type HostImages } from './rotation.ts';

/** The host's record of its images (order and health), kept beside Docker, which knows neither. */
export async function readHostImages(path: string): Promise<HostImages> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_HOST;
    throw error;
  }
  const parsed = hostImagesSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`${path} is not a valid image record: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** Write-then-rename, so a crash mid-write never leaves a half record. */
export async function writeHostImages(path: string, state: HostImages): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, path);
}
