import Link from 'next/link';
import { notFound } from 'next/navigation';
import { LICENCE_IDS, LICENCES, type LicenceId } from '../../../lib/licences.ts';

type Props = { params: Promise<{ licence: string }> };

export function generateStaticParams() {
  return LICENCE_IDS.map((licence) => ({ licence }));
}

export async function generateMetadata({ params }: Props) {
  const { licence } = await params;
  return { title: LICENCES[licence as LicenceId]?.name ?? 'Licence' };
}

export default async function LicencePage({ params }: Props) {
  const { licence } = await params;
  const terms = LICENCES[licence as LicenceId];
  if (!terms) notFound();
  return (
    <article className="narrow licence-terms">
      <p className="breadcrumb">
        <Link href="/licence">Licences</Link> ›
      </p>
      <h1>{terms.name}</h1>
      <p className="description">{terms.summary}</p>
      <h2>Seats</h2>
      <p>{terms.seats}</p>
      <h2>Attribution</h2>
      <p>{terms.attribution}</p>
      <h2>What you may do</h2>
      <ul>
        {terms.allowed.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <h2>What you may not do</h2>
      <ul>
        {terms.notAllowed.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
      <h2>General</h2>
      <p>
        The licence is granted by the contributor, through Vectorly, to the person or organisation named in the LICENSE.txt of the download. It
        does not expire, cannot be transferred, and ends if the order is refunded. The contributor keeps the copyright. See the{' '}
        <Link href="/terms">terms of sale</Link>.
      </p>
    </article>
  );
}
