import { expect } from 'chai';
import sharp from 'sharp';
import { sanitizeSvg } from '../../core/svg/index.ts';
import type { SanitizeResult } from '../../core/svg/index.ts';
import { MAX_SVG_BYTES, MAX_SVG_DIMENSION, MAX_SVG_NESTING_DEPTH } from '../../core/limits.ts';
import { assertSafeSvg } from '../fixtures/svg-corpus/safety.ts';

const SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 24 24">';
const wrap = (body: string): string => `${SVG_OPEN}${body}</svg>`;

function accepted(input: string | Buffer): Extract<SanitizeResult, { ok: true }> & { text: string } {
  const result = sanitizeSvg(Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8'));
  if (!result.ok) expect.fail(`expected the SVG to be accepted, got: ${result.reason}`);
  assertSafeSvg(result.svg);
  // Idempotent: sanitising the output again changes nothing.
  const again = sanitizeSvg(result.svg);
  expect(again.ok && again.svg.equals(result.svg), 'sanitising twice yields the same bytes').to.equal(true);
  return { ...result, text: result.svg.toString('utf8') };
}

function rejected(input: string | Buffer): string {
  const result = sanitizeSvg(Buffer.isBuffer(input) ? input : Buffer.from(input, 'utf8'));
  if (result.ok) expect.fail(`expected a rejection, got: ${result.svg.toString('utf8')}`);
  return result.reason;
}

/**
 * Every vector from the brief plus classic SVG XSS payloads (OWASP and the svg-sanitizer /
 * DOMPurify test suites). Each names what the log must report; every output is re-parsed
 * and walked by `assertSafeSvg`.
 */
const ATTACKS: ReadonlyArray<{ name: string; body: string; removed: RegExp; keeps?: RegExp }> = [
  { name: '<script>', body: '<script>alert(1)</script><path d="M0 0h1"/>', removed: /^<script>$/, keeps: /<path d="M0 0h1"\/>/ },
  { name: 'CDATA script', body: '<script><![CDATA[alert(1)]]></script>', removed: /^<script>$/ },
  { name: '<script xlink:href>', body: '<script xlink:href="https://evil.example/x.js"/>', removed: /^<script>$/ },
  { name: 'mixed-case <ScRiPt>', body: '<ScRiPt>alert(1)</ScRiPt>', removed: /^<ScRiPt>$/ },
  { name: 'namespaced <html:script>', body: '<html:script xmlns:html="http://www.w3.org/1999/xhtml">alert(1)</html:script>', removed: /^<html:script>$/ },
  { name: 'svg-prefixed script', body: '<s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script>', removed: /^<s:script>$/ },
  { name: 'onclick handler', body: '<path d="M0 0h1" onclick="alert(1)"/>', removed: /^onclick attribute on <path>$/, keeps: /<path d="M0 0h1"\/>/ },
  { name: 'mixed-case OnLoad', body: '<g OnLoad="alert(1)"><path d="M0 0"/></g>', removed: /^OnLoad attribute on <g>$/ },
  { name: '<foreignObject><iframe>', body: '<foreignObject width="10" height="10"><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(1)"/></foreignObject>', removed: /^<foreignObject>$/ },
  { name: '<iframe>', body: '<iframe src="https://evil.example"/>', removed: /^<iframe>$/ },
  { name: '<embed>', body: '<embed src="https://evil.example/x.swf"/>', removed: /^<embed>$/ },
  { name: '<object>', body: '<object data="https://evil.example/x.html"/>', removed: /^<object>$/ },
  { name: '<use href="data:...">', body: '<use href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/>', removed: /^external href on <use>$/ },
  { name: '<use href="https://...#x">', body: '<use href="https://evil.example/sprite.svg#x"/>', removed: /^external href on <use>$/ },
  { name: '<use xlink:href> to a relative file', body: '<use xlink:href="sprite.svg#x"/>', removed: /^external href on <use>$/ },
  { name: 'href with leading control characters', body: '<use href="&#9;javascript:alert(1)"/>', removed: /^external href on <use>$/ },
  { name: '<a xlink:href="javascript:">', body: '<a xlink:href="javascript:alert(1)"><rect width="5" height="5"/></a>', removed: /^<a> link \(content kept\)$/, keeps: /<rect width="5" height="5"\/>/ },
  { name: '<animate attributeName="href">', body: '<a><animate attributeName="href" to="javascript:alert(1)"/><text>x</text></a>', removed: /^<animate>$/ },
  { name: '<set>', body: '<set attributeName="onmouseover" to="alert(1)"/>', removed: /^<set>$/ },
  { name: '<animateTransform>', body: '<animateTransform attributeName="transform" type="rotate" to="360"/>', removed: /^<animateTransform>$/ },
  { name: '<animateMotion>', body: '<animateMotion path="M0 0h10"/>', removed: /^<animateMotion>$/ },
  { name: '<discard>', body: '<discard begin="1s"/>', removed: /^<discard>$/ },
  { name: '<image> external', body: '<image href="https://evil.example/track.png" width="1" height="1"/>', removed: /^<image>$/ },
  { name: '<image> data: URI', body: '<image xlink:href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" width="1" height="1"/>', removed: /^<image>$/ },
  { name: 'style background:url(https://evil)', body: '<rect width="1" height="1" style="fill:red;background:url(https://evil.example)"/>', removed: /^CSS property "background" in style attribute on <rect>$/, keeps: /style="fill:red"/ },
  { name: 'style url() in an allowed property', body: '<rect width="1" height="1" style="fill:url(https://evil.example/#x);stroke:blue"/>', removed: /^external url\(\) in "fill" in style attribute on <rect>$/, keeps: /style="stroke:blue"/ },
  { name: 'style escaped url()', body: '<rect width="1" height="1" style="fill:u\\72l(https://evil.example);opacity:.5"/>', removed: /unparseable CSS value in "fill"/, keeps: /style="opacity:.5"/ },
  { name: 'filter:url(data:...)', body: '<rect width="1" height="1" style="filter:url(data:image/svg+xml,x)"/>', removed: /^external url\(\) in "filter" in style attribute on <rect>$/ },
  { name: 'expression()', body: '<rect width="1" height="1" style="color:expression(alert(1));fill:red"/>', removed: /^CSS expression\(\) in "color" in style attribute on <rect>$/, keeps: /style="fill:red"/ },
  { name: 'javascript: in CSS', body: '<rect width="1" height="1" style="font-family:&quot;javascript:alert(1)&quot;;fill:red"/>', removed: /^script-like text in "font-family" in style attribute on <rect>$/ },
  { name: '-moz-binding', body: '<rect width="1" height="1" style="-moz-binding:url(https://evil.example/x.xml#x)"/>', removed: /^CSS property "-moz-binding"/ },
  { name: 'behavior', body: '<rect width="1" height="1" style="behavior:url(x.htc)"/>', removed: /^CSS property "behavior"/ },
  { name: 'image-set() in mask', body: '<rect width="1" height="1" style="mask:image-set(&quot;https://evil.example/x.png&quot; 1x)"/>', removed: /^CSS image-set\(\) in "mask"/ },
  { name: 'custom property smuggling a url', body: '<rect width="1" height="1" style="--x:url(https://evil.example);fill:var(--x, red)"/>', removed: /^external url\(\) in "--x"/, keeps: /fill:var\(--x,red\)/ },
  { name: 'style injection with a closing brace', body: '<rect width="1" height="1" style="fill:red}rect{fill:url(https://evil.example)"/>', removed: /unparseable CSS value in "fill"/ },
  { name: '<style>@import', body: '<style>@import url(//evil.example/x.css);.a{fill:red}</style><path class="a" d="M0 0"/>', removed: /^CSS @import rule in <style>$/, keeps: /<style>\.a\{fill:red\}<\/style>/ },
  { name: '<style>@font-face', body: '<style>@font-face{font-family:x;src:url(https://evil.example/x.woff)}.a{fill:red}</style>', removed: /^CSS @font-face rule in <style>$/ },
  { name: '<style> external url', body: '<style>.a{fill:url(https://evil.example/#g);stroke:red}</style>', removed: /^external url\(\) in "fill" in <style>$/, keeps: /\.a\{stroke:red\}/ },
  { name: '<style> in CDATA with </style> trick', body: '<style><![CDATA[.a{fill:red}</style><script>alert(1)</script>]]></style>', removed: /unparseable CSS|<script>/ },
  { name: 'fill="url(https://evil#x)"', body: '<rect width="1" height="1" fill="url(https://evil.example#x)"/>', removed: /^fill attribute on <rect> \(external url\(\) in "fill"\)$/ },
  { name: 'mask attribute with a data: url', body: '<rect width="1" height="1" mask="url(data:image/svg+xml,x)"/>', removed: /^mask attribute on <rect>/ },
  { name: 'url() in a non-url attribute', body: '<rect width="1" height="1" opacity="url(https://evil.example)"/>', removed: /^opacity attribute on <rect> \(url\(\) is not allowed there\)$/ },
  { name: 'href on a shape', body: '<rect width="1" height="1" href="https://evil.example"/>', removed: /^href on <rect>$/ },
  { name: 'xml-stylesheet processing instruction', body: '<?xml-stylesheet href="https://evil.example/x.css"?><path d="M0 0"/>', removed: /^<\?xml-stylesheet\?> processing instruction$/ },
  { name: 'XHTML elements in SVG', body: '<div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></div>', removed: /^<div>$/ },
  { name: 'unknown namespaced attribute', body: '<path d="M0 0" ev:event="click" xmlns:ev="http://www.w3.org/2001/xml-events"/>', removed: /^ev:event attribute on <path>$/ },
  { name: 'XInclude', body: '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd"/>', removed: /^<xi:include>$/ },
  { name: 'feImage external', body: '<filter id="f"><feImage href="https://evil.example/x.png"/></filter>', removed: /^external href on <feImage>$/ },
  { name: 'markup inside <desc> (an HTML integration point)', body: '<desc>ok<rect width="1" height="1"/></desc>', removed: /^<rect> in <desc>$/, keeps: /<desc>ok<\/desc>/ },
  { name: '@media with a url() condition', body: '<style>@media (min-width:1px) and url(https://evil.example){.a{fill:red}}.b{fill:blue}</style>', removed: /^CSS @media rule with an unsafe condition in <style>$/, keeps: /<style>\.b\{fill:blue\}<\/style>/ },
  { name: 'SVG font with script-capable glyphs', body: '<font><glyph unicode="a" d="M0 0"/></font>', removed: /^<font>$/ },
];

describe('core/svg sanitizeSvg', () => {
  describe('attack corpus', () => {
    for (const attack of ATTACKS) {
      it(`neutralises ${attack.name}`, () => {
        const result = accepted(wrap(attack.body));
        expect(result.removed.some((entry) => attack.removed.test(entry)), `removed: ${JSON.stringify(result.removed)}`).to.equal(true);
        if (attack.keeps) expect(result.text).to.match(attack.keeps);
      });
    }

    it('drops the onload attribute of the root element', () => {
      const result = accepted('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" onload="alert(1)"/>');
      expect(result.removed).to.deep.equal(['onload attribute on <svg>']);
    });

    it('keeps local references through href, xlink:href and url(#id)', () => {
      const result = accepted(
        wrap('<defs><linearGradient id="g"><stop offset="1" stop-color="red"/></linearGradient><path id="p" d="M0 0h4v4z"/></defs>' +
          '<use xlink:href="#p" fill="url(#g)"/><use href=" #p" style="stroke:url(\'#g\')"/>'),
      );
      expect(result.removed).to.deep.equal([]);
      expect(result.text).to.include('<use xlink:href="#p" fill="url(#g)"/>');
      expect(result.text).to.include('<use href="#p" style="stroke:url(#g)"/>');
      expect(result.text).to.match(/^<svg [^>]*xmlns:xlink="http:\/\/www\.w3\.org\/1999\/xlink"/);
    });

    it('declares the xlink namespace only when an xlink:href is kept', () => {
      const result = accepted(wrap('<path d="M0 0"/>'));
      expect(result.text).to.equal('<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>');
    });

    it('turns a link with styling into a <g> so its children still inherit it', () => {
      const result = accepted(wrap('<a href="https://example.com" fill="red" target="_blank"><circle r="2"/></a>'));
      expect(result.text).to.include('<g fill="red"><circle r="2"/></g>');
      expect(result.removed).to.include('target attribute on <a>');
    });

    it('moves link text up inside <text>, where <g> is not allowed', () => {
      const result = accepted(wrap('<text x="1" y="2">see <a href="https://example.com">here</a>!</text>'));
      expect(result.text).to.include('<text x="1" y="2">see here!</text>');
    });

    it('removes a plain DOCTYPE, comments and processing instructions', () => {
      const result = accepted(
        '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">' +
          '<!-- outside --><?pi data?>' + wrap('<!-- inside --><path d="M0 0"/>'),
      );
      expect(result.removed).to.deep.equal(['DOCTYPE', 'comment (×2)', '<?pi?> processing instruction']);
      expect(result.text.startsWith('<svg ')).to.equal(true);
    });

    it('drops editor metadata and namespaces (Inkscape, Sketch, Illustrator)', () => {
      const result = accepted(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" ' +
          'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" xmlns:sketch="http://www.bohemiancoding.com/sketch/ns" ' +
          'viewBox="0 0 8 8" inkscape:version="1.2"><sodipodi:namedview pagecolor="#fff"/><metadata><x/></metadata>' +
          '<g inkscape:label="Layer 1" inkscape:groupmode="layer" sketch:type="MSPage"><path d="M0 0h8" sodipodi:nodetypes="cc" inkscape:label="a"/><path d="M0 1h8" inkscape:label="b"/></g></svg>',
      );
      expect(result.text).to.equal('<svg viewBox="0 0 8 8" xmlns="http://www.w3.org/2000/svg"><g><path d="M0 0h8"/><path d="M0 1h8"/></g></svg>');
      expect(result.removed).to.include('inkscape:label attribute on <path> (×2)');
      expect(result.removed).to.include('<sodipodi:namedview>');
      expect(result.removed).to.include('<metadata>');
    });
  });

  describe('rejections', () => {
    it('rejects a DOCTYPE that declares entities (billion laughs)', () => {
      const laughs =
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>' + wrap('<text>&lol3;</text>');
      expect(rejected(laughs)).to.match(/^declares entities in its DOCTYPE/);
    });

    it('rejects external entities (XXE), used or not', () => {
      expect(rejected('<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + wrap('<text>&xxe;</text>'))).to.match(/^declares entities/);
      expect(rejected('<!DOCTYPE svg [<!ENTITY % remote SYSTEM "https://evil.example/x.dtd"> %remote;]>' + wrap(''))).to.match(/^declares entities/);
    });

    it('rejects malformed XML instead of repairing it', () => {
      expect(rejected(wrap('<g><path d="M0 0"></g>'))).to.match(/^is not well-formed XML \(.*mismatch.*line 1/);
      expect(rejected(wrap('<path d=M0/>'))).to.match(/^is not well-formed XML/);
      expect(rejected(wrap('<text>a & b</text>'))).to.match(/^is not well-formed XML/);
      expect(rejected(wrap('<path d="1" d="2"/>'))).to.match(/^is not well-formed XML/);
      expect(rejected(`${wrap('')}<svg/>`)).to.match(/^is not well-formed XML/);
      // xmldom lets these through on its own; the sanitiser must not.
      expect(rejected(wrap('<text>AT&amp;T & co</text>'))).to.match(/^is not well-formed XML \(an "&" that is not written as &amp;/);
      expect(rejected(wrap('<text>&#;</text>'))).to.match(/^is not well-formed XML/);
      expect(rejected(wrap('<text>]]></text>'))).to.match(/^is not well-formed XML \(a "]]>" outside a CDATA section/);
      expect(rejected(wrap('<text>&#0;</text>'))).to.match(/^contains control characters/);
      expect(rejected(wrap('<g id="&#xD800;"/>'))).to.match(/^contains control characters/);
      accepted(wrap('<text>&#x1F600; &amp; <![CDATA[ & ]]></text><!-- & -->'));
      expect(rejected(wrap('<xlink:foo/>').replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', ''))).to.match(/^is not well-formed XML/);
    });

    it('rejects what is not SVG at all', async () => {
      const png = await sharp({ create: { width: 2, height: 2, channels: 4, background: '#f00' } }).png().toBuffer();
      expect(rejected(png)).to.equal('is a PNG image, not an SVG');
      expect(rejected(Buffer.alloc(0))).to.equal('is empty');
      expect(rejected('just some notes\n')).to.match(/^is not well-formed XML/);
      expect(rejected('<!DOCTYPE html><html><body><svg viewBox="0 0 1 1"/></body></html>')).to.equal(
        'is not an SVG image: its root element is <html>, not <svg>',
      );
      expect(rejected('<svg xmlns="http://www.w3.org/1999/xhtml" viewBox="0 0 1 1"/>')).to.match(/^is not an SVG image/);
      expect(rejected(Buffer.from([0x3c, 0x73, 0x76, 0x67, 0xff, 0xfe, 0x3e]))).to.match(/^is not UTF-8/);
      expect(rejected(wrap('<text>\u0001</text>'))).to.match(/^contains control characters/);
    });

    it('accepts a root <svg> without xmlns and treats it as SVG', () => {
      const result = accepted('<svg width="16" height="16"><path d="M0 0h16"/><script>alert(1)</script></svg>');
      expect(result.text).to.equal('<svg width="16" height="16" xmlns="http://www.w3.org/2000/svg"><path d="M0 0h16"/></svg>');
    });

    it(`rejects files over MAX_SVG_BYTES (${MAX_SVG_BYTES} bytes)`, () => {
      const filler = ' '.repeat(MAX_SVG_BYTES);
      expect(rejected(wrap(filler))).to.match(/^is 5\.0 MiB; an SVG may be at most 5 MiB/);
    });

    it('rejects declared sizes over MAX_SVG_DIMENSION', () => {
      const over = MAX_SVG_DIMENSION + 1;
      expect(rejected(`<svg xmlns="http://www.w3.org/2000/svg" width="${over}" height="10"/>`)).to.match(/^declares a width of 10001, more than the 10,000 allowed/);
      expect(rejected(`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 10 ${over}"/>`)).to.match(/^declares a viewBox height/);
      expect(rejected('<svg xmlns="http://www.w3.org/2000/svg" width="1e400" height="1"/>')).to.match(/must be positive numbers/);
    });

    it('rejects <use> loops and <use> bombs', () => {
      expect(rejected(wrap('<g id="a"><use href="#a"/></g>'))).to.match(/refers to itself/);
      expect(rejected(wrap('<use id="a" href="#b"/><use id="b" xlink:href="#a"/>'))).to.match(/refers to itself/);
      // Ten levels of ten <use> each: 10^10 elements from under 2 KB.
      let body = '<path id="l0" d="M0 0h1"/>';
      for (let level = 1; level <= 10; level++) {
        body += `<g id="l${level}">${`<use href="#l${level - 1}"/>`.repeat(10)}</g>`;
      }
      expect(rejected(wrap(`<defs>${body}</defs>`))).to.match(/^would draw more than 250,000 elements/);
    });

    it('rejects nesting deeper than MAX_SVG_NESTING_DEPTH', () => {
      const depth = MAX_SVG_NESTING_DEPTH + 1;
      expect(rejected(wrap(`${'<g>'.repeat(depth)}${'</g>'.repeat(depth)}`))).to.match(/^nests elements more than 256 levels deep/);
      accepted(wrap(`${'<g>'.repeat(depth - 2)}${'</g>'.repeat(depth - 2)}`));
      // The pre-parse tag count must not mistake siblings, self-closing tags or a ">" in a value for nesting.
      accepted(wrap(`${'<g/>'.repeat(depth)}${'<g/ >'.repeat(depth)}${'<title a="x>y"></title>'.repeat(depth)}`));
    });
  });

  describe('size', () => {
    const size = (attributes: string) => {
      const result = sanitizeSvg(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" ${attributes}/>`));
      return result.ok ? { width: result.width, height: result.height } : result.reason;
    };

    it('takes plain or px width/height, else the viewBox', () => {
      expect(size('width="32" height="16.5px" viewBox="0 0 8 8"')).to.deep.equal({ width: 32, height: 16.5 });
      expect(size('width="100%" height="100%" viewBox="0 0 48 24"')).to.deep.equal({ width: 48, height: 24 });
      expect(size('width="10mm" height="10mm" viewBox="-5,-5,20,10"')).to.deep.equal({ width: 20, height: 10 });
      expect(size('width="48" viewBox="0 0 24 12"')).to.deep.equal({ width: 48, height: 24 });
    });

    it('rejects a file whose size is unknown or invalid', () => {
      expect(size('')).to.match(/^has no width, height or viewBox, so its size is unknown/);
      expect(size('width="2em" height="2em"')).to.match(/^has no width, height or viewBox, so its size is unknown/);
      expect(size('viewBox="0 0 0 10"')).to.match(/zero or negative size/);
      expect(size('viewBox="0 0 10"')).to.match(/invalid viewBox/);
      expect(size('width="0" height="5"')).to.match(/must be positive/);
    });
  });

  describe('output', () => {
    it('is deterministic and carries no XML declaration', () => {
      const input = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${wrap('<style>.a { fill : red }</style><path class="a" d="M0 0" style="stroke: blue ; stroke-width : 2"/>')}`);
      const first = sanitizeSvg(input);
      const second = sanitizeSvg(Buffer.from(input));
      expect(first.ok && second.ok && first.svg.equals(second.svg)).to.equal(true);
      expect(first.ok && first.svg.toString()).to.equal(
        '<svg viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg"><style>.a{fill:red}</style><path class="a" d="M0 0" style="stroke:blue;stroke-width:2"/></svg>',
      );
    });

    it('reads UTF-8 with a BOM and UTF-16', () => {
      const svg = wrap('<title>Café ☕</title>');
      const utf8 = accepted(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(svg, 'utf8')]));
      const utf16 = accepted(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(svg, 'utf16le')]));
      expect(utf8.text).to.include('<title>Café ☕</title>');
      expect(utf16.svg.equals(utf8.svg)).to.equal(true);
    });
  });
});
