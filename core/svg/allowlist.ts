/**
 * What a sanitised SVG may contain. Everything not listed here is dropped.
 *
 * Sources: the element and attribute lists of DOMPurify (`src/tags.ts` svg + svgFilters,
 * `src/attrs.ts` svg + xml), cross-checked against Cloudflare's svg-hush (`src/lib.rs`,
 * which limits `href` to paint servers, `use` and `feImage`) and darylldoyle/svg-sanitizer
 * (`src/data/AllowedTags.php`, `AllowedAttributes.php`), and trimmed for a marketplace of
 * static artwork:
 * - animation (`animate`, `set`, `animateMotion`, `animateTransform`, `animateColor`,
 *   `discard`, `mpath`) is dropped: SMIL can rewrite `href` to `javascript:` after the
 *   sanitiser has looked, and icons sold here are static;
 * - `image` is dropped: an external href is a fetch (tracking, mixed content) and a `data:`
 *   URI can carry any format, including another SVG, that no check of ours has seen;
 * - `a` is never kept (see `sanitize.ts`: it becomes a `<g>` or is unwrapped);
 * - SVG fonts, `cursor`, `color-profile`, `view`, `metadata` and editor metadata are dropped:
 *   browsers ignore or fetch them, and dropping them makes files smaller.
 * Names are case-sensitive, as XML is: `<ScRiPt>` is simply not on the list.
 */

export const SVG_NS = 'http://www.w3.org/2000/svg';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

const FILTER_PRIMITIVES = [
  'feBlend', 'feColorMatrix', 'feComponentTransfer', 'feComposite', 'feConvolveMatrix',
  'feDiffuseLighting', 'feDisplacementMap', 'feDistantLight', 'feDropShadow', 'feFlood',
  'feFuncA', 'feFuncB', 'feFuncG', 'feFuncR', 'feGaussianBlur', 'feImage', 'feMerge',
  'feMergeNode', 'feMorphology', 'feOffset', 'fePointLight', 'feSpecularLighting',
  'feSpotLight', 'feTile', 'feTurbulence',
] as const;

/** Elements (local names in the SVG namespace) that are kept with their allowed attributes. */
export const ALLOWED_ELEMENTS: ReadonlySet<string> = new Set([
  // structure
  'svg', 'g', 'defs', 'symbol', 'use', 'switch',
  // description (text only)
  'title', 'desc',
  // shapes
  'path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon',
  // text
  'text', 'tspan', 'textPath',
  // paint servers, masking, markers
  'linearGradient', 'radialGradient', 'stop', 'pattern', 'clipPath', 'mask', 'marker',
  // styling (content goes through the CSS sanitiser)
  'style',
  // filters
  'filter', ...FILTER_PRIMITIVES,
]);

/** Elements whose text children are content (everything else keeps only element children). */
export const TEXT_CONTENT_ELEMENTS: ReadonlySet<string> = new Set(['text', 'tspan', 'textPath', 'title', 'desc']);

/**
 * Elements that hold text and nothing else. `title` and `desc` are HTML integration points:
 * if the SVG is ever inlined into a page, markup inside them is parsed as HTML.
 */
export const TEXT_ONLY_ELEMENTS: ReadonlySet<string> = new Set(['title', 'desc']);

/** Elements that may carry `href`/`xlink:href`, and then only to a `#fragment` in the same file. */
export const HREF_ELEMENTS: ReadonlySet<string> = new Set([
  'use', 'linearGradient', 'radialGradient', 'pattern', 'textPath', 'filter', 'feImage',
]);

/** Why a well-known element is dropped, for the `removed` log and for reviewers. */
export const FORBIDDEN_ELEMENT_NOTES: ReadonlyMap<string, string> = new Map([
  ['script', 'scripts never run in a served image'],
  ['foreignObject', 'embeds HTML'],
  ['iframe', 'embeds a document'],
  ['embed', 'embeds a document'],
  ['object', 'embeds a document'],
  ['animate', 'animation can rewrite attributes such as href'],
  ['animateColor', 'animation can rewrite attributes such as href'],
  ['animateMotion', 'animation can rewrite attributes such as href'],
  ['animateTransform', 'animation can rewrite attributes such as href'],
  ['set', 'animation can rewrite attributes such as href'],
  ['discard', 'animation'],
  ['mpath', 'animation'],
  ['image', 'raster images may load external files or carry unchecked data'],
  ['metadata', 'editor metadata'],
]);

/**
 * Presentation attributes (SVG 1.1 §6.4 and SVG 2 "presentation attributes"), which are also
 * the CSS properties we accept. `cursor` is left out on purpose: it takes an image url.
 */
export const PRESENTATION_ATTRIBUTES: ReadonlySet<string> = new Set([
  'alignment-baseline', 'baseline-shift', 'clip', 'clip-path', 'clip-rule', 'color',
  'color-interpolation', 'color-interpolation-filters', 'color-rendering', 'direction', 'display',
  'dominant-baseline', 'fill', 'fill-opacity', 'fill-rule', 'filter', 'flood-color',
  'flood-opacity', 'font-family', 'font-size', 'font-size-adjust', 'font-stretch', 'font-style',
  'font-variant', 'font-weight', 'glyph-orientation-horizontal', 'glyph-orientation-vertical',
  'image-rendering', 'isolation', 'kerning', 'letter-spacing', 'lighting-color', 'marker-end',
  'marker-mid', 'marker-start', 'mask', 'mask-type', 'mix-blend-mode', 'opacity', 'overflow',
  'paint-order', 'pointer-events', 'shape-rendering', 'stop-color', 'stop-opacity', 'stroke',
  'stroke-dasharray', 'stroke-dashoffset', 'stroke-linecap', 'stroke-linejoin',
  'stroke-miterlimit', 'stroke-opacity', 'stroke-width', 'text-anchor', 'text-decoration',
  'text-rendering', 'transform-origin', 'unicode-bidi', 'vector-effect', 'visibility',
  'white-space', 'word-spacing', 'writing-mode',
]);

/** Presentation attributes whose value may hold a `url()` reference; only `url(#id)` passes. */
export const URL_VALUED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'fill', 'stroke', 'clip-path', 'mask', 'filter', 'marker-start', 'marker-mid', 'marker-end',
]);

/** Attributes without a namespace that are kept (besides presentation attributes and `aria-*`). */
export const ALLOWED_ATTRIBUTES: ReadonlySet<string> = new Set([
  // core
  'id', 'class', 'style', 'lang', 'tabindex', 'role',
  // geometry and coordinate systems
  'x', 'y', 'width', 'height', 'cx', 'cy', 'r', 'rx', 'ry', 'x1', 'y1', 'x2', 'y2', 'd',
  'points', 'pathLength', 'transform', 'viewBox', 'preserveAspectRatio',
  // text
  'dx', 'dy', 'rotate', 'textLength', 'lengthAdjust', 'startOffset', 'method', 'spacing', 'side',
  // paint servers
  'gradientUnits', 'gradientTransform', 'spreadMethod', 'fx', 'fy', 'fr', 'offset',
  'patternUnits', 'patternContentUnits', 'patternTransform',
  // clipping, masking, markers
  'clipPathUnits', 'maskUnits', 'maskContentUnits', 'markerUnits', 'markerWidth',
  'markerHeight', 'refX', 'refY', 'orient',
  // conditional processing (requiredExtensions is left out: it selects foreign content)
  'systemLanguage',
  // filters
  'filterUnits', 'primitiveUnits', 'result', 'in', 'in2', 'mode', 'type', 'values', 'tableValues',
  'slope', 'intercept', 'amplitude', 'exponent', 'operator', 'k1', 'k2', 'k3', 'k4', 'order',
  'kernelMatrix', 'divisor', 'bias', 'targetX', 'targetY', 'edgeMode', 'kernelUnitLength',
  'preserveAlpha', 'surfaceScale', 'diffuseConstant', 'specularConstant', 'specularExponent',
  'scale', 'xChannelSelector', 'yChannelSelector', 'stdDeviation', 'azimuth', 'elevation', 'z',
  'pointsAtX', 'pointsAtY', 'pointsAtZ', 'limitingConeAngle', 'baseFrequency', 'numOctaves',
  'seed', 'stitchTiles', 'radius',
  // `<style media>`
  'media',
]);

/** `xml:*` attributes that are kept (`xml:space` changes how text whitespace renders). */
export const ALLOWED_XML_ATTRIBUTES: ReadonlySet<string> = new Set(['space', 'lang']);

export const isAriaAttribute = (name: string): boolean => /^aria-[a-z]+$/.test(name);

/**
 * CSS properties accepted in `style` attributes and `<style>` elements: the presentation
 * attributes plus the CSS-only properties designers' tools emit. Custom properties (`--x`)
 * are accepted too, their values checked like any other.
 */
export const ALLOWED_CSS_PROPERTIES: ReadonlySet<string> = new Set([
  ...PRESENTATION_ATTRIBUTES,
  'font', 'font-feature-settings', 'font-kerning', 'font-variant-ligatures',
  'font-variant-caps', 'font-variant-numeric', 'font-variant-east-asian', 'font-variation-settings',
  'line-height', 'text-transform', 'text-orientation', 'text-decoration-line',
  'text-decoration-color', 'text-decoration-style', 'inline-size', 'marker', 'transform',
  'transform-box', 'x', 'y', 'cx', 'cy', 'r', 'rx', 'ry', 'width', 'height', 'd',
  'mask-mode', 'mask-repeat', 'mask-position', 'mask-size', 'mask-clip', 'mask-origin',
  'mask-composite', 'enable-background',
]);

/**
 * CSS functions that compute a colour, length, transform or filter effect and never load
 * anything. `url()` is handled separately (local fragments only); every other function —
 * `image()`, `image-set()`, `element()`, `expression()` — drops its declaration.
 */
export const ALLOWED_CSS_FUNCTIONS: ReadonlySet<string> = new Set([
  'rgb', 'rgba', 'hsl', 'hsla', 'hwb', 'lab', 'lch', 'oklab', 'oklch', 'color', 'color-mix',
  'calc', 'min', 'max', 'clamp', 'var',
  'matrix', 'translate', 'translatex', 'translatey', 'scale', 'scalex', 'scaley', 'rotate',
  'skew', 'skewx', 'skewy',
  'blur', 'brightness', 'contrast', 'drop-shadow', 'grayscale', 'hue-rotate', 'invert',
  'opacity', 'saturate', 'sepia',
  'path',
]);
