import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Kysely } from 'kysely';
import type { Database } from '../../../core/catalog/schema.ts';
import { createContributor } from '../../../core/catalog/index.ts';
import { uploadKey } from '../../../core/storage/index.ts';
import { LOCAL_BUCKETS } from '../aws-resources.ts';
import { SAMPLE_CONTRIBUTORS, SAMPLE_SETS } from './catalog.ts';

export interface SampleUpload {
  name: string;
  uploadId: string;
}

/**
 * Uploads every sample set that has not been uploaded yet, as its contributor would, and returns
 * their upload ids. Sample contributors are created on the way; a restart uploads nothing twice
 * (`stateFile` remembers which sets were uploaded).
 */
export async function uploadSampleContent(db: Kysely<Database>, s3: S3Client, stateFile: string): Promise<SampleUpload[]> {
  const done: Record<string, string> = JSON.parse(await readFile(stateFile, 'utf8').catch(() => '{}'));
  const contributorIds = new Map<string, string>();
  for (const contributor of SAMPLE_CONTRIBUTORS) {
    const existing = await db.selectFrom('contributors').select('id').where('slug', '=', contributor.slug).executeTakeFirst();
    contributorIds.set(contributor.slug, existing?.id ?? (await createContributor(db, contributor)).id);
  }
  const uploaded: SampleUpload[] = [];
  for (const set of SAMPLE_SETS) {
    const contributorId = contributorIds.get(set.contributor)!;
    if (done[set.name]) continue;
    const uploadId = randomUUID();
    await s3.send(
      new PutObjectCommand({
        Bucket: LOCAL_BUCKETS.uploads,
        Key: uploadKey(contributorId, uploadId),
        Body: await set.build(),
        ContentType: 'application/zip',
        Metadata: { sample: set.name },
      }),
    );
    uploaded.push({ name: set.name, uploadId });
    done[set.name] = uploadId;
    await writeFile(stateFile, JSON.stringify(done, null, 2));
  }
  return uploaded;
}
