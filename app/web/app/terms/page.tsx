import Link from 'next/link';

export const metadata = { title: 'Terms of sale' };

export default function TermsPage() {
  return (
    <article className="narrow licence-terms">
      <h1>Terms of sale</h1>
      <h2>What you buy</h2>
      <p>
        A licence to use a set of icons or illustrations under the <Link href="/licence">licence</Link> named on the set's page: Free, Standard or
        Extended. The price is the one on the set's page when you start the checkout, in the currency shown. Payment is taken by Stripe; we never see
        your card.
      </p>
      <h2>Delivery</h2>
      <p>
        Once paid, the set is in your account: download the whole set as a ZIP, or single images as SVG, PNG or WebP, as often as you need. Each
        download carries a LICENSE.txt naming the licence, the set, its contributor, you, the order and the date.
      </p>
      <h2>Refunds</h2>
      <p>
        Ask within 14 days if a set is not as described. A refunded order's licences end: you must stop using the artwork in new work and delete the
        files.
      </p>
      <h2>Contributors</h2>
      <p>
        Contributors sell their own work and confirm they hold its rights. The platform keeps a commission on each sale and pays contributors their
        share through Stripe Connect.
      </p>
    </article>
  );
}
