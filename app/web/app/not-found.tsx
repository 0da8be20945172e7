import Link from 'next/link';

export default function NotFound() {
  return (
    <section className="narrow">
      <h1>Not found</h1>
      <p>That page does not exist, or the set is no longer published.</p>
      <p>
        <Link href="/">Back to the store</Link>
      </p>
    </section>
  );
}
