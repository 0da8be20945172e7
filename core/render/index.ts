export {
  renditionSpecsFor,
  fullSizeRenditionSpecs,
  isPreviewSize,
  PREVIEW_MAX_EDGE,
  RENDITION_SIZES,
  RENDITION_FORMATS,
  CONTENT_TYPES,
} from './config.ts';
export type { ImageFormat, ProductKind, RenditionSpec, RenditionOverrides } from './config.ts';
export { configureSharp } from './sharp-setup.ts';
export type { SharpSettings } from './sharp-setup.ts';
export { RenderError, rasterise, intrinsicSize, fitLongestEdge } from './raster.ts';
export type { RawImage, Dimensions, RasterOptions } from './raster.ts';
export { renderRenditions, encodeRenditionsFromPixels, rasteriseForSpecs } from './renditions.ts';
export type { Rendition, SizedRaster } from './renditions.ts';
export { renderFamilyPreview, planGrid } from './family-preview.ts';
export type { FamilyPreview, FamilyPreviewOptions } from './family-preview.ts';
export { customOptionsSchema, customisedSvg, renderCustomised, customKeyHash, CustomiseIntegrityError } from './customise.ts';
export { MIN_CUSTOM_SIZE, MAX_CUSTOM_SIZE, MIN_STROKE_WIDTH, MAX_STROKE_WIDTH, CUSTOMISE_PROFILE } from './customise.ts';
export type { CustomOptions, CustomRender } from './customise.ts';
export { analyseSvg, customiseSvg, NotCustomisableError } from './customise-svg.ts';
export type { Customisability, SvgCustomisation } from './customise-svg.ts';
