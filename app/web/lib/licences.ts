/**
 * The three licences, written for icon and illustration use. The pages under /licence render these;
 * every LICENSE.txt summarises them (core/selling/licence-text.ts) and links here.
 */
export type LicenceId = 'free' | 'standard' | 'extended';

export interface LicenceTerms {
  id: LicenceId;
  name: string;
  summary: string;
  seats: string;
  attribution: string;
  allowed: string[];
  notAllowed: string[];
}

const COMMON_NOT_ALLOWED = [
  'Reselling, sharing or redistributing the files themselves (alone, in a pack, in an icon font, or in a library others can extract them from).',
  'Registering the artwork, or a design built mainly from it, as a logo or trademark.',
  'Using the artwork in anything unlawful, defamatory or misleading, or implying the contributor endorses you.',
  'Claiming the artwork as your own original work, or offering it to AI training datasets as such.',
];

export const LICENCES: Record<LicenceId, LicenceTerms> = {
  free: {
    id: 'free',
    name: 'Free licence',
    summary: 'Free sets: use them in your personal and commercial projects, with credit to the contributor.',
    seats: 'One person.',
    attribution: 'Required where credits are practical: "Icons by <contributor> on Vectorly", with a link to the set, in an about page, credits screen, colophon or description.',
    allowed: [
      'Websites, apps, software interfaces, documents and presentations, for yourself or for a client.',
      'Marketing, social media, video and printed matter.',
      'Changing colours, sizes, strokes and shapes, and combining the artwork with your own.',
    ],
    notAllowed: ['Products for sale whose main value is the artwork (merchandise, print-on-demand, templates, themes).', ...COMMON_NOT_ALLOWED],
  },
  standard: {
    id: 'standard',
    name: 'Standard licence',
    summary: 'For teams shipping products: unlimited projects, up to 5 seats, no attribution.',
    seats: 'Up to 5 people in one organisation (the licensee and their team or contractors working for them).',
    attribution: 'Not required (always welcome).',
    allowed: [
      'Any number of end products for yourself or your clients: websites, apps, software interfaces, games, documents, presentations.',
      'Marketing, advertising, social media, video, and up to 500,000 printed copies of a design.',
      'Changing colours, sizes, strokes and shapes, and combining the artwork with your own.',
    ],
    notAllowed: ['Products for sale whose main value is the artwork (merchandise, print-on-demand, templates, themes): that needs the Extended licence.', ...COMMON_NOT_ALLOWED],
  },
  extended: {
    id: 'extended',
    name: 'Extended licence',
    summary: 'Everything in Standard, for up to 25 seats, no print limit, and in products you sell where the artwork is the point.',
    seats: 'Up to 25 people in one organisation.',
    attribution: 'Not required.',
    allowed: [
      'Everything the Standard licence allows, with no limit on printed copies.',
      'Merchandise and print-on-demand products (t-shirts, mugs, posters, stickers) for sale.',
      'Templates, themes, UI kits and presentation decks for sale, as long as the files cannot be extracted and used on their own.',
    ],
    notAllowed: COMMON_NOT_ALLOWED,
  },
};

export const LICENCE_IDS: readonly LicenceId[] = ['free', 'standard', 'extended'];
