import Link from 'next/link';
import { UploadChecker } from '../../../../components/UploadChecker.tsx';

export const metadata = { title: 'Check an upload' };

export default function CheckUploadPage() {
  return (
    <section className="narrow">
      <h1>Check an upload before sending it</h1>
      <p>
        The same rules as the upload itself: the archive layout, <code>manifest.json</code> against the{' '}
        <Link href="/docs/upload-format">upload format</Link>, and every listed file against the archive. Start from the{' '}
        <a href="/samples/sample-upload.zip" download>
          sample ZIP
        </a>{' '}
        if you are building one for the first time.
      </p>
      <UploadChecker />
    </section>
  );
}
