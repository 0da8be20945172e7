import { expect } from 'chai';
import { parseManifest, type Manifest } from '../../core/manifest/index.ts';
import { MAX_IMAGES, MAX_PRICE_CENTS, MAX_TAGS, MAX_TITLE_LENGTH } from '../../core/limits.ts';
import type { UploadProblem } from '../../core/problems.ts';
import { iconSetManifest, illustrationSetManifest, type ManifestDraft } from '../fixtures/uploads.ts';

function accept(draft: unknown): Manifest {
  const result = parseManifest(JSON.stringify(draft));
  if (!result.ok) expect.fail(`expected a valid manifest, got ${JSON.stringify(result.problems)}`);
  return result.manifest;
}

function problemsOf(draft: unknown): UploadProblem[] {
  const result = parseManifest(typeof draft === 'string' ? draft : JSON.stringify(draft));
  if (result.ok) expect.fail('expected the manifest to be rejected');
  return result.problems;
}

/** The single problem reported for `field`. */
function problemAt(draft: unknown, field: string): string {
  const found = problemsOf(draft).filter((p) => p.field === field);
  expect(found, `problems at ${field}`).to.have.length(1);
  return found[0]!.message;
}

function withProduct(product: Record<string, unknown>): ManifestDraft {
  return iconSetManifest({ product });
}

describe('core/manifest parseManifest', () => {
  it('accepts the example manifests, from a string or a Buffer', () => {
    expect(accept(iconSetManifest()).product.kind).to.equal('icon-set');
    const result = parseManifest(Buffer.from(JSON.stringify(illustrationSetManifest())));
    expect(result.ok && result.manifest.product.kind).to.equal('illustration-set');
  });

  it('accepts a UTF-8 byte-order mark (Windows editors write one)', () => {
    expect(parseManifest(`\uFEFF${JSON.stringify(iconSetManifest())}`).ok).to.equal(true);
  });

  it('accepts a manifest without the optional fields', () => {
    const { description: _d, tags: _t, price: _p, ...product } = iconSetManifest().product;
    const manifest = accept({ ...iconSetManifest(), product: { ...product, family: { slug: 'weather' } } });
    expect(manifest.product.price).to.equal(undefined);
    expect(manifest.product.family.title).to.equal(undefined);
  });

  describe('JSON', () => {
    it('says what is wrong and where in invalid JSON', () => {
      const problems = problemsOf('{\n  "manifestVersion": 1,\n}');
      expect(problems).to.have.length(1);
      expect(problems[0]!.file).to.equal('manifest.json');
      expect(problems[0]!.message).to.match(/^is not valid JSON: .+ at line 3, column 1$/);
    });

    it('rejects bytes that are not UTF-8', () => {
      const result = parseManifest(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
      expect(result.ok || result.problems[0]!.message).to.match(/not valid UTF-8/);
    });

    it('rejects JSON that is not an object', () => {
      expect(problemsOf('[1, 2]')).to.deep.equal([{ file: 'manifest.json', message: 'must hold a JSON object (got a list)' }]);
    });
  });

  describe('manifestVersion', () => {
    it('must be 1', () => {
      expect(problemAt(iconSetManifest({ manifestVersion: 2 }), 'manifestVersion')).to.equal('2 is not a manifestVersion; use 1');
      const { manifestVersion: _v, ...rest } = iconSetManifest();
      expect(problemAt(rest, 'manifestVersion')).to.equal('is required');
    });
  });

  describe('product.kind and product.license', () => {
    it('accepts each kind and license', () => {
      for (const kind of ['icon-set', 'illustration-set']) expect(accept(withProduct({ kind })).product.kind).to.equal(kind);
      for (const license of ['free', 'standard', 'extended']) {
        expect(accept(withProduct({ license })).product.license).to.equal(license);
      }
    });

    it('names the allowed values', () => {
      expect(problemAt(withProduct({ kind: 'icon' }), 'product.kind')).to.equal(
        '"icon" is not a kind; use "icon-set" or "illustration-set"',
      );
      expect(problemAt(withProduct({ license: 'pro' }), 'product.license')).to.equal(
        '"pro" is not a license; use "free", "standard" or "extended"',
      );
    });
  });

  describe('titles', () => {
    it('are trimmed and 1–120 characters after trimming', () => {
      expect(accept(withProduct({ title: '   Weather   ' })).product.title).to.equal('Weather');
      expect(accept(withProduct({ title: ` ${'x'.repeat(MAX_TITLE_LENGTH)} ` })).product.title).to.have.length(MAX_TITLE_LENGTH);
      expect(problemAt(withProduct({ title: 'x'.repeat(131) }), 'product.title')).to.equal('must be at most 120 characters (got 131)');
      expect(problemAt(withProduct({ title: '   ' }), 'product.title')).to.equal('must not be empty');
      expect(problemAt(withProduct({ title: 42 }), 'product.title')).to.equal('must be text (got a whole number)');
    });

    it('reject control and bidi-override characters, naming the character', () => {
      expect(problemAt(withProduct({ title: 'Sun\u202Egnp.exe' }), 'product.title')).to.equal(
        'must not contain control or text-direction characters (found U+202E at position 4)',
      );
      for (const char of ['\u0000', '\u0007', '\u001B', '\u007F', '\u0085', '\u009F', '\u202A', '\u2066', '\u2069']) {
        expect(problemsOf(withProduct({ title: `a${char}b` })), JSON.stringify(char)).to.have.length(1);
      }
      // Ordinary non-ASCII text is fine.
      expect(accept(withProduct({ title: 'Météo – Ícones ☀️ 天気' })).product.title).to.equal('Météo – Ícones ☀️ 天気');
    });

    it('apply to the family title and image titles too', () => {
      expect(problemAt(withProduct({ family: { slug: 'weather', title: '' } }), 'product.family.title')).to.equal('must not be empty');
      const draft = iconSetManifest();
      draft.images[1]!.title = 'x'.repeat(121);
      expect(problemAt(draft, 'images[1].title')).to.equal('must be at most 120 characters (got 121)');
    });
  });

  describe('product.description', () => {
    it('is optional, up to 2,000 characters, without control characters', () => {
      expect(accept(withProduct({ description: 'd'.repeat(2000) })).product.description).to.have.length(2000);
      expect(problemAt(withProduct({ description: 'd'.repeat(2001) }), 'product.description')).to.equal(
        'must be at most 2000 characters (got 2001)',
      );
      expect(problemAt(withProduct({ description: 'ok\u2067hidden' }), 'product.description')).to.match(/U\+2067/);
      expect(problemAt(withProduct({ description: 'nul\u0000byte' }), 'product.description')).to.match(/U\+0000/);
    });

    it('keeps line breaks and tabs, since a description is prose', () => {
      const description = 'Line one.\r\nLine two,\tindented.\n';
      expect(accept(withProduct({ description })).product.description).to.equal(description);
    });
  });

  describe('product.family.slug', () => {
    it('follows ^[a-z0-9]+(-[a-z0-9]+)*$ and is at most 64 characters', () => {
      for (const slug of ['weather', 'line-icons-2', 'a', '2024']) expect(accept(withProduct({ family: { slug } })).product.family.slug).to.equal(slug);
      for (const slug of ['Weather', 'line--icons', '-weather', 'weather-', 'line icons', 'météo', '']) {
        expect(problemsOf(withProduct({ family: { slug } })).map((p) => p.field), slug).to.include('product.family.slug');
      }
      expect(problemAt(withProduct({ family: { slug: 'Line Icons' } }), 'product.family.slug')).to.match(
        /^"Line Icons" is not a valid slug; use lower-case letters and digits/,
      );
      expect(accept(withProduct({ family: { slug: 'a'.repeat(64) } })).product.family.slug).to.have.length(64);
      expect(problemAt(withProduct({ family: { slug: 'a'.repeat(65) } }), 'product.family.slug')).to.equal(
        'must be at most 64 characters (got 65)',
      );
    });
  });

  describe('tags', () => {
    it('are lower-cased, trimmed and de-duplicated on the way in', () => {
      const draft = iconSetManifest({ product: { tags: ['Weather', ' weather', 'RAIN', 'rain', 'Sun'] } });
      draft.images[0]!.tags = ['Sun', 'SUN', 'sun '];
      const manifest = accept(draft);
      expect(manifest.product.tags).to.deep.equal(['weather', 'rain', 'sun']);
      expect(manifest.images[0]!.tags).to.deep.equal(['sun']);
    });

    it('allow up to 30 tags of 1–40 characters', () => {
      const thirty = Array.from({ length: MAX_TAGS }, (_, i) => `tag-${i}`);
      expect(accept(withProduct({ tags: thirty })).product.tags).to.have.length(MAX_TAGS);
      expect(problemAt(withProduct({ tags: [...thirty, 'one-more'] }), 'product.tags')).to.equal('must be at most 30 entries (got 31)');
      expect(problemAt(withProduct({ tags: ['t'.repeat(41)] }), 'product.tags[0]')).to.equal('must be at most 40 characters (got 41)');
      expect(problemAt(withProduct({ tags: ['ok', ''] }), 'product.tags[1]')).to.equal('must not be empty');
      const draft = iconSetManifest();
      draft.images[2]!.tags = ['bad\u0000tag'];
      expect(problemAt(draft, 'images[2].tags[0]')).to.match(/U\+0000/);
    });
  });

  describe('product.price', () => {
    it('is optional integer cents 0–100,000 with an ISO 4217 currency', () => {
      expect(accept(withProduct({ price: { amount: 0, currency: 'EUR' } })).product.price).to.deep.equal({ amount: 0, currency: 'EUR' });
      expect(accept(withProduct({ price: { amount: MAX_PRICE_CENTS, currency: 'GBP' } })).product.price?.amount).to.equal(MAX_PRICE_CENTS);
      expect(problemAt(withProduct({ price: { amount: 100_001, currency: 'USD' } }), 'product.price.amount')).to.equal(
        'must be at most 100000 (got 100001)',
      );
      expect(problemAt(withProduct({ price: { amount: -1, currency: 'USD' } }), 'product.price.amount')).to.equal('must be at least 0 (got -1)');
      expect(problemAt(withProduct({ price: { amount: 9.99, currency: 'USD' } }), 'product.price.amount')).to.equal(
        'must be a whole number (got 9.99)',
      );
      expect(problemAt(withProduct({ price: { amount: '900', currency: 'USD' } }), 'product.price.amount')).to.equal('must be a number (got text)');
    });

    it('checks the currency against the real ISO 4217 list', () => {
      expect(problemAt(withProduct({ price: { amount: 900, currency: 'usd' } }), 'product.price.currency')).to.equal(
        '"usd" is not an ISO 4217 currency code; write it in capitals: "USD"',
      );
      expect(problemAt(withProduct({ price: { amount: 900, currency: 'ABC' } }), 'product.price.currency')).to.match(/^"ABC" is not an ISO 4217/);
      expect(problemAt(withProduct({ price: { amount: 900 } }), 'product.price.currency')).to.equal('is required');
    });

    it('takes only currencies with cents, and a paid price Stripe can charge', () => {
      // Amounts are cents: a yen price of 5000 would show as ¥50 and be charged ¥5,000.
      for (const code of ['JPY', 'KRW', 'KWD', 'BHD']) {
        expect(problemAt(withProduct({ price: { amount: 5000, currency: code } }), 'product.price.currency'), code).to.equal(
          `"${code}" has no cents; prices are in a currency with cents, such as "USD" or "EUR"`,
        );
      }
      const fine = (price: { amount: number; currency: string }) => accept(withProduct({ price })).product.price;
      expect(fine({ amount: 900, currency: 'GBP' })).to.deep.equal({ amount: 900, currency: 'GBP' });
      for (const amount of [1, 49]) {
        expect(problemAt(withProduct({ price: { amount, currency: 'USD' } }), 'product.price.amount'), String(amount)).to.equal(
          'must be 0 (free) or at least 50 cents, the smallest amount card payments take',
        );
      }
      for (const amount of [0, 50]) expect(fine({ amount, currency: 'USD' })).to.deep.equal({ amount, currency: 'USD' });
    });
  });

  describe('images', () => {
    const image = (file: string) => ({ file, title: 'An image' });

    it('need 1–2,000 entries', () => {
      expect(problemAt(iconSetManifest({ images: [] }), 'images')).to.equal('must have at least 1 entry');
      const many = Array.from({ length: MAX_IMAGES }, (_, i) => image(`i/${i}.svg`));
      expect(accept(iconSetManifest({ images: many })).images).to.have.length(MAX_IMAGES);
      expect(problemAt(iconSetManifest({ images: [...many, image('one-more.svg')] }), 'images')).to.equal(
        'must be at most 2000 entries (got 2001)',
      );
    });

    it('need unique files, naming the first occurrence', () => {
      expect(problemAt(iconSetManifest({ images: [image('sun.svg'), image('moon.svg'), image('sun.svg')] }), 'images[2].file')).to.equal(
        '"sun.svg" is listed twice (also images[0].file)',
      );
    });

    it('accept relative .svg paths with sub-folders', () => {
      const manifest = accept(iconSetManifest({ images: [image('sun.svg'), image('line/rain/cloud-rain.svg'), image('UPPER.SVG')] }));
      expect(manifest.images.map((i) => i.file)).to.deep.equal(['sun.svg', 'line/rain/cloud-rain.svg', 'UPPER.SVG']);
    });

    it('reject paths that leave the folder, are absolute, use backslashes or are not .svg', () => {
      const cases: Record<string, RegExp> = {
        '../sun.svg': /must not contain "\.\."/,
        'line/../../sun.svg': /must not contain "\.\."/,
        '/sun.svg': /not start with "\/"/,
        'C:/sun.svg': /drive path/,
        'line\\sun.svg': /not "\\"/,
        'line//sun.svg': /plain relative path/,
        './sun.svg': /plain relative path/,
        'sun.png': /must name an \.svg file/,
        'sun.svg.zip': /must name an \.svg file/,
      };
      for (const [file, expected] of Object.entries(cases)) {
        expect(problemAt(iconSetManifest({ images: [image(file)] }), 'images[0].file'), file).to.match(expected);
      }
    });
  });

  describe('unknown keys', () => {
    it('are rejected at every level, one problem per key', () => {
      const draft = iconSetManifest({ product: { titel: 'Typo' }, extra: true });
      (draft.product.family as Record<string, unknown>).color = 'blue';
      (draft.product.price as Record<string, unknown>).vat = 0;
      draft.images[0]!.name = 'sun';
      const problems = problemsOf(draft);
      expect(problems).to.deep.include.members([
        { file: 'manifest.json', message: 'unknown field "extra"' },
        { file: 'manifest.json', field: 'product', message: 'unknown field "titel"' },
        { file: 'manifest.json', field: 'product.family', message: 'unknown field "color"' },
        { file: 'manifest.json', field: 'product.price', message: 'unknown field "vat"' },
        { file: 'manifest.json', field: 'images[0]', message: 'unknown field "name"' },
      ]);
      expect(problems).to.have.length(5);
    });
  });

  it('reports every problem together, each with its field', () => {
    const draft = iconSetManifest({
      manifestVersion: 3,
      product: { kind: 'icons', title: 'x'.repeat(131), license: 'gpl', family: { slug: 'Bad_Slug' }, price: { amount: 1.5, currency: 'usd' } },
      images: [
        { file: 'sun.svg', title: 'Sun' },
        { file: '../moon.svg', title: '' },
        { file: 'sun.svg', title: 'Sun again' },
      ],
    });
    const fields = problemsOf(draft).map((p) => p.field);
    expect(fields).to.have.members([
      'manifestVersion',
      'product.kind',
      'product.title',
      'product.license',
      'product.family.slug',
      'product.price.amount',
      'product.price.currency',
      'images[1].file',
      'images[1].title',
      'images[2].file',
    ]);
  });
});
