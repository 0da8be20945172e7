/**
 * Sending the ZIP straight to S3 with the presigned POST. XMLHttpRequest, not fetch: only XHR reports
 * upload progress. Every policy field goes first and `file` last, as S3 requires.
 */
import type { PresignedPost } from './api-types.ts';

export class UploadFailedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'UploadFailedError';
  }
}

/** S3 answers a failed POST with an XML error; its <Message> is the part worth showing. */
function s3ErrorMessage(xml: string): string | null {
  return /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? null;
}

export function postToS3(upload: PresignedPost, file: File, onProgress: (fraction: number) => void): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append('file', file);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else {
        const detail = s3ErrorMessage(xhr.responseText);
        reject(new UploadFailedError(`The storage service refused the file${detail ? `: ${detail}` : ''} (${xhr.status}).`, xhr.status));
      }
    });
    xhr.addEventListener('error', () => reject(new UploadFailedError('The upload was interrupted. Check your connection and try again.', 0)));
    xhr.addEventListener('abort', () => reject(new UploadFailedError('The upload was cancelled.', 0)));
    xhr.send(form);
  });
}
