/**
 * The LICENSE.txt that goes with every download: which licence, for which set by which contributor,
 * granted to whom, by which order, on which date, and where the full terms are. The summaries repeat the
 * storefront's licence pages (app/web/lib/licences.ts) in one paragraph each; the pages are the terms.
 */
import type { Licence } from './schema.ts';

export const LICENCE_NAMES: Readonly<Record<Licence, string>> = {
  free: 'Free licence',
  standard: 'Standard licence',
  extended: 'Extended licence',
};

const SUMMARIES: Readonly<Record<Licence, string>> = {
  free:
    'You may use these icons and illustrations in personal and commercial projects (websites, apps, documents, ' +
    'presentations, printed matter), modified or not, for one person. Attribution to the contributor is required ' +
    'where credits are practical. You may not resell or redistribute the files themselves, alone or in a pack, ' +
    'nor use them in a logo or trademark.',
  standard:
    'You may use these icons and illustrations in any number of your own or your clients\' end products (websites, ' +
    'apps, software interfaces, documents, presentations, marketing, up to 500,000 printed copies), modified or not, ' +
    'for up to 5 people (seats) in one organisation. No attribution is required. You may not resell or redistribute ' +
    'the files themselves, put them in a product whose main value is the artwork (templates, merchandise for sale, ' +
    'print-on-demand), nor use them in a logo or trademark.',
  extended:
    'Everything the Standard licence allows, for up to 25 seats, with no print limit, and also in products for sale ' +
    'whose main value is the artwork: merchandise, print-on-demand, templates and themes, as long as the files cannot ' +
    'be extracted and used on their own. No attribution is required. You may not resell or redistribute the files ' +
    'themselves, nor register them as a trademark.',
};

export interface LicenceTextInput {
  licence: Licence;
  set: { id: string; title: string };
  contributor: { displayName: string; slug: string };
  buyer: { displayName: string; email: string };
  /** Null for a free licence: nothing was bought. */
  orderId: string | null;
  grantedAt: Date;
  /** The storefront's origin, for the terms' address. */
  storefrontUrl: string;
}

/** Plain text, CRLF line ends (read on any system), wrapped at 100 columns. */
export function licenceText(input: LicenceTextInput): string {
  const base = input.storefrontUrl.replace(/\/+$/, '');
  const lines = [
    `${LICENCE_NAMES[input.licence].toUpperCase()}`,
    '',
    `Set:          ${input.set.title} (${input.set.id})`,
    `Contributor:  ${input.contributor.displayName} (${base}/contributors/${input.contributor.slug})`,
    `Licensee:     ${input.buyer.displayName} <${input.buyer.email}>`,
    `Order:        ${input.orderId ?? 'none (free licence)'}`,
    `Date:         ${input.grantedAt.toISOString().slice(0, 10)}`,
    `Terms:        ${base}/licence/${input.licence}`,
    '',
    ...wrap(SUMMARIES[input.licence], 100),
    '',
    ...wrap(`The full terms at the address above are the licence; this summary does not replace them. ` +
      `The licence is personal to the licensee and cannot be transferred.`, 100),
    '',
  ];
  return lines.join('\r\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
