import Link from 'next/link';
import { ConfirmAddressFirst } from '../../../components/ConfirmAddressFirst.tsx';
import { UploadFlow } from '../../../components/UploadFlow.tsx';
import { requireContributor } from '../../../lib/require-contributor.ts';

export const metadata = { title: 'New set' };

export default async function NewSetPage() {
  const account = await requireContributor('/dashboard/new');
  if (!account) return <p className="notice">Only contributors can upload sets.</p>;
  return (
    <section className="narrow">
      <h1>New set</h1>
      <p>
        Put your SVGs and a <code>manifest.json</code> in one ZIP (see the <Link href="/docs/upload-format">upload format</Link>). We check every
        file, render PNG and WebP previews, and tell you exactly what to fix if something is wrong.
      </p>
      <p>
        <a href="/samples/sample-upload.zip" download>
          Download a sample ZIP
        </a>{' '}
        · <Link href="/docs/upload-format/check">Check your ZIP before uploading</Link>
      </p>
      {account.emailVerified ? <UploadFlow /> : <ConfirmAddressFirst email={account.email} />}
      <p>
        <Link href="/dashboard">← Back to your sets</Link>
      </p>
    </section>
  );
}
