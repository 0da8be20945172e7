/** The sample upload ZIP, built from lib/sample-upload.ts on request (a few KiB; cacheable for a day). */
import { buildSampleUpload } from '../../../lib/sample-upload.ts';

export async function GET(): Promise<Response> {
  const zip = await buildSampleUpload();
  return new Response(new Blob([zip as BlobPart], { type: 'application/zip' }), {
    headers: {
      'Content-Type': 'application/zip',
      'Content-Disposition': 'attachment; filename="sample-upload.zip"',
      'Cache-Control': 'public, max-age=86400',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
