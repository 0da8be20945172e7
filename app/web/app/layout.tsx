import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { AccountMenu } from '../components/AccountMenu.tsx';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Vectorly — SVG icons and illustrations', template: '%s · Vectorly' },
  description: 'Stock SVG icon sets and illustrations from independent designers.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="wrap header-row">
            {/* The header is on every page: prefetching its links would cost every page view a render of each (and the front door rate-limits per address). */}
            <Link href="/" className="brand" prefetch={false}>
              <span aria-hidden="true" className="brand-mark">◆</span> Vectorly
            </Link>
            <nav className="header-nav" aria-label="Catalog">
              <Link href="/browse" prefetch={false}>Browse</Link>
            </nav>
            <form action="/search" method="get" role="search" className="header-search">
              <label htmlFor="site-search" className="visually-hidden">
                Search icons and illustrations
              </label>
              <input id="site-search" name="q" type="search" placeholder="Search icons and illustrations" maxLength={200} required />
              <button type="submit">Search</button>
            </form>
            <AccountMenu />
          </div>
        </header>
        <main id="main" className="wrap">
          {children}
        </main>
        <footer className="site-footer">
          <div className="wrap">SVGs are sanitised before they are published. Every set is licensed per its page.</div>
        </footer>
      </body>
    </html>
  );
}
