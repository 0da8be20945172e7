import Link from 'next/link';
import { DraftStatus } from '../../components/DraftStatus.tsx';
import { PublishToggle } from '../../components/PublishToggle.tsx';
import { FailedDraft } from '../../components/RetryFailedImages.tsx';
import { responses } from '../../lib/api-types.ts';
import { plural } from '../../lib/format.ts';
import { requireContributor } from '../../lib/require-contributor.ts';
import { apiGet, query } from '../../lib/server-api.ts';

export const metadata = { title: 'Dashboard' };

export default async function DashboardPage() {
  const account = await requireContributor('/dashboard');
  if (!account) return <p className="notice">The dashboard is for contributors. Create a contributor account to sell your work.</p>;
  const [products, drafts] = await Promise.all([
    apiGet(`/api/me/products${query({ limit: 50 })}`, responses.products, { asVisitor: true }),
    apiGet(`/api/me/drafts${query({ limit: 10 })}`, responses.drafts, { asVisitor: true }),
  ]);
  // Accepted drafts show up as sets; the ones still waiting, turned away or failed (with the retry button) are listed on their own.
  const openDrafts = drafts.items.filter(
    (draft) => draft.state === 'rejected' || draft.state === 'received' || draft.state === 'awaiting-upload' || draft.state === 'failed',
  );
  return (
    <>
      <div className="section-head">
        <h1>Your sets</h1>
        <Link href="/dashboard/new" className="button">
          New set
        </Link>
      </div>
      {products.items.length === 0 ? (
        <p className="empty">No sets yet. Upload your first ZIP to get started.</p>
      ) : (
        <table className="sets-table">
          <thead>
            <tr>
              <th scope="col">Set</th>
              <th scope="col">Images</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {products.items.map((product) => (
              <tr key={product.id}>
                <td>
                  <Link href={`/sets/${product.id}`}>{product.title}</Link>
                  <div className="muted">{product.family.title}</div>
                </td>
                <td>{plural(product.imageCount, 'image')}</td>
                <td>
                  {product.blocked ? 'Blocked by moderation' : product.published ? 'Published' : product.status === 'ready' ? 'Ready, not published' : product.status}
                </td>
                <td className="row-actions">
                  <Link href={`/dashboard/sets/${product.id}`}>Edit</Link>
                  <PublishToggle productId={product.id} published={product.published} canPublish={product.status === 'ready' && !product.blocked} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {openDrafts.length > 0 && (
        <section aria-labelledby="drafts-heading">
          <h2 id="drafts-heading">Recent uploads</h2>
          <ul className="draft-list">
            {openDrafts.map((draft) => (
              <li key={draft.id}>
                <span className="muted">{new Date(draft.createdAt).toLocaleString('en-US')}</span>
                {draft.state === 'failed' ? <FailedDraft draft={draft} /> : <DraftStatus draft={draft} />}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
