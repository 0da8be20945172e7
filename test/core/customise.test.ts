/** Recolouring and stroke width as a DOM transformation of sanitised SVG (core/render/customise*.ts). */
import { expect } from 'chai';
import { analyseSvg, customisedSvg, customiseSvg, customKeyHash, customOptionsSchema, NotCustomisableError } from '../../core/render/index.ts';
import { sanitisedSvgFrom, type SanitisedSvg } from '../../core/storage/index.ts';
import { sanitizeSvg } from '../../core/svg/index.ts';
import { iconSvg } from '../fixtures/svgs.ts';

function sanitised(svg: string): SanitisedSvg {
  const result = sanitizeSvg(Buffer.from(svg));
  if (!result.ok) throw new Error(result.reason);
  return sanitisedSvgFrom(result);
}

const svg = (body: string, attributes = '') => sanitised(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"${attributes}>${body}</svg>`);

describe('customising sanitised SVG', () => {
  it('decides what can be recoloured: one concrete colour, no paint servers or sheets', () => {
    expect(analyseSvg(svg('<path d="M0 0h4v4z"/><rect fill="#000" width="2" height="2"/>')).colour).to.deep.equal({ ok: true });
    expect(analyseSvg(svg('<path fill="black" d="M0 0h4v4z"/><rect fill="#000000" width="2" height="2"/>')).colour).to.deep.equal({ ok: true });
    expect(analyseSvg(svg('<path fill="#f00" d="M0 0h4v4z"/><rect width="2" height="2"/>')).colour).to.deep.equal({ ok: false, reason: 'it uses 2 colours' });
    expect(analyseSvg(svg('<path fill="none" stroke="red" color="blue" d="M0 0h4v4z"/><path stroke="currentColor" d="M0 0h4"/>', ' fill="none"')).colour).to.deep.equal({
      ok: false,
      reason: 'it uses 2 colours',
    });
    expect(analyseSvg(svg('<style>path{fill:red}</style><path d="M0 0h4v4z"/>')).colour).to.deep.equal({ ok: false, reason: 'it has a <style> sheet' });
    expect(analyseSvg(svg('<defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs><path fill="url(#g)" d="M0 0h4v4z"/>')).colour).to.deep.equal({
      ok: false,
      reason: 'it uses a gradient',
    });
  });

  it('decides where the stroke width can change: stroked, one plain width', () => {
    expect(analyseSvg(sanitised(iconSvg(1))).stroke).to.deep.equal({ ok: true });
    expect(analyseSvg(svg('<path d="M0 0h4"/>')).stroke).to.deep.equal({ ok: false, reason: 'it has no strokes (a filled icon)' });
    expect(analyseSvg(svg('<path stroke="#000" stroke-width="1" d="M0 0h4"/><path stroke="#000" stroke-width="2" d="M0 0h4"/>', ' fill="none"')).stroke).to.deep.equal({
      ok: false,
      reason: 'it uses 2 different stroke widths',
    });
    expect(analyseSvg(svg('<path stroke="#000" stroke-width="5%" d="M0 0h4"/>', ' fill="none"')).stroke).to.deep.equal({
      ok: false,
      reason: 'its stroke width "5%" is not a plain number',
    });
  });

  it('rewrites attributes and style declarations through the DOM', () => {
    const out = customiseSvg(svg('<g style="stroke:#111;stroke-width:2"><path d="M0 0h4"/></g>', ' fill="none"'), { colour: '#336699', strokeWidth: 3.5 }).toString();
    expect(out).to.equal(
      '<svg viewBox="0 0 24 24" fill="none" xmlns="http://www.w3.org/2000/svg" color="#336699" stroke-width="3.5"><g style="stroke:#336699;stroke-width:3.5"><path d="M0 0h4"/></g></svg>',
    );
    expect(() => customiseSvg(svg('<path d="M0 0h4"/>'), { strokeWidth: 2 })).to.throw(NotCustomisableError, 'has no adjustable stroke width: it has no strokes (a filled icon)');
  });

  it('a hostile SVG gains nothing from the colour: values are never spliced into text, and the result re-passes the sanitiser whole', () => {
    // Text that would break out if the colour were substituted into the markup as a string.
    const hostile = svg('<title>#000000"/&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title><path style="fill:#000000" d="M0 0h4v4z"/>');
    const out = customisedSvg(hostile, { colour: '#ff0000' }).toString();
    expect(out).not.to.include('<script');
    expect(out).to.include('<title>#000000"/&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(out).to.include('style="fill:#ff0000"');
    // Callers that skip the schema still cannot write anything but a hex colour or a number.
    expect(() => customiseSvg(hostile, { colour: '#000" onload="alert(1)' })).to.throw(TypeError, 'colour must be "#rrggbb" in lower case');
    expect(() => customiseSvg(hostile, { strokeWidth: Number.NaN })).to.throw(TypeError, 'strokeWidth must be a positive number');
  });

  it('keys the cache by original and options, one spelling per colour', () => {
    const options = (colour: string) => customOptionsSchema.parse({ format: 'png', size: 512, colour });
    expect(customKeyHash('a'.repeat(64), options('#ABC'))).to.equal(customKeyHash('a'.repeat(64), options('#aabbcc')));
    expect(customKeyHash('a'.repeat(64), options('#abc'))).not.to.equal(customKeyHash('b'.repeat(64), options('#abc')));
  });
});
