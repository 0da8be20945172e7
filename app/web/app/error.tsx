'use client';

export default function ErrorPage({ reset }: { error: Error; reset: () => void }) {
  return (
    <section className="narrow" role="alert">
      <h1>Something went wrong</h1>
      <p>The store could not load this page. It has been logged; try again in a moment.</p>
      <button type="button" className="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
