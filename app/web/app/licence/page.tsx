import Link from 'next/link';
import { LICENCE_IDS, LICENCES } from '../../lib/licences.ts';

export const metadata = { title: 'Licences' };

export default function LicencesPage() {
  return (
    <section className="narrow">
      <h1>Licences</h1>
      <p>Every set is sold under one of three licences, named on its page. Every download carries a LICENSE.txt naming the licence, the set, its contributor, you, the order and the date.</p>
      <ul className="licence-list">
        {LICENCE_IDS.map((id) => (
          <li key={id}>
            <h2>
              <Link href={`/licence/${id}`}>{LICENCES[id].name}</Link>
            </h2>
            <p>{LICENCES[id].summary}</p>
            <p className="muted">Seats: {LICENCES[id].seats} Attribution: {LICENCES[id].attribution}</p>
          </li>
        ))}
      </ul>
      <p>
        See also the <Link href="/terms">terms of sale</Link>.
      </p>
    </section>
  );
}
