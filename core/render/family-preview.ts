/**
 * A family's preview card: a grid of sample images on a light background, sized for Open Graph
 * (1200x630 by default). Deterministic: the same SVGs in the same order give the same bytes.
 */
import sharp from 'sharp';
import type { OverlayOptions } from 'sharp';
import { MAX_FAMILY_PREVIEW_ITEMS, MAX_RENDER_PIXELS, RENDER_TIMEOUT_SECONDS } from '../limits.ts';
import { PNG_OPTIONS, PREVIEW_MAX_EDGE, WEBP_OPTIONS } from './config.ts';
import type { ProductKind } from './config.ts';
import { intrinsicSize, rasterise } from './raster.ts';
import type { Dimensions, RasterOptions } from './raster.ts';
import { ensureSharpConfigured } from './sharp-setup.ts';

export interface FamilyPreviewOptions extends RasterOptions {
  kind: ProductKind;
  /** Default 1200 (Open Graph image width). */
  width?: number;
  /** Default 630. */
  height?: number;
}

export interface FamilyPreview {
  png: Buffer;
  webp: Buffer;
  width: number;
  height: number;
}

const BACKGROUND = { r: 246, g: 247, b: 249, alpha: 1 };
/** Icons need air around them to read as a set; illustrations may fill their cell. */
const FILL_RATIO: Record<ProductKind, number> = { 'icon-set': 0.62, 'illustration-set': 0.92 };
/** Cell aspect (width / height) the grid is planned for. */
const CELL_ASPECT: Record<ProductKind, number> = { 'icon-set': 1, 'illustration-set': 4 / 3 };

interface Grid {
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
}

/** The column count whose cells, at the kind's aspect, are largest. Ties go to fewer columns. */
export function planGrid(count: number, canvas: Dimensions, padding: number, kind: ProductKind): Grid {
  let best: { grid: Grid; area: number } | undefined;
  for (let columns = 1; columns <= count; columns++) {
    const rows = Math.ceil(count / columns);
    const cellWidth = Math.floor((canvas.width - padding * (columns + 1)) / columns);
    const cellHeight = Math.floor((canvas.height - padding * (rows + 1)) / rows);
    if (cellWidth < 1 || cellHeight < 1) continue;
    const usableWidth = Math.min(cellWidth, cellHeight * CELL_ASPECT[kind]);
    const area = usableWidth * (usableWidth / CELL_ASPECT[kind]);
    if (!best || area > best.area) best = { grid: { columns, rows, cellWidth, cellHeight }, area };
  }
  if (!best) throw new RangeError(`${count} images do not fit a ${canvas.width}x${canvas.height} preview`);
  return best.grid;
}

function fitInside(intrinsic: Dimensions, box: Dimensions): Dimensions {
  const scale = Math.min(box.width / intrinsic.width, box.height / intrinsic.height);
  return {
    width: Math.max(1, Math.floor(intrinsic.width * scale)),
    height: Math.max(1, Math.floor(intrinsic.height * scale)),
  };
}

export async function renderFamilyPreview(svgs: Buffer[], options: FamilyPreviewOptions): Promise<FamilyPreview> {
  ensureSharpConfigured();
  const { kind, width = 1200, height = 630 } = options;
  if (svgs.length < 1 || svgs.length > MAX_FAMILY_PREVIEW_ITEMS) {
    throw new RangeError(`a family preview takes 1-${MAX_FAMILY_PREVIEW_ITEMS} images, got ${svgs.length}`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > MAX_RENDER_PIXELS) {
    throw new RangeError(`preview size must be whole pixels within ${MAX_RENDER_PIXELS} pixels, got ${width}x${height}`);
  }
  const padding = Math.round(Math.min(width, height) * 0.04);
  const grid = planGrid(svgs.length, { width, height }, padding, kind);
  // The card is public: a family of one or two images must not show them larger than a public preview.
  const box = {
    width: Math.min(PREVIEW_MAX_EDGE[kind], Math.floor(grid.cellWidth * FILL_RATIO[kind])),
    height: Math.min(PREVIEW_MAX_EDGE[kind], Math.floor(grid.cellHeight * FILL_RATIO[kind])),
  };
  // Centre the whole grid, then each image in its cell.
  const gridWidth = grid.columns * grid.cellWidth + (grid.columns - 1) * padding;
  const gridHeight = grid.rows * grid.cellHeight + (grid.rows - 1) * padding;
  const originX = Math.floor((width - gridWidth) / 2);
  const originY = Math.floor((height - gridHeight) / 2);

  const tiles = await Promise.all(
    svgs.map(async (svg, index): Promise<OverlayOptions> => {
      const intrinsic = await intrinsicSize(svg);
      const pixels = await rasterise(svg, intrinsic, fitInside(intrinsic, box), options);
      const column = index % grid.columns;
      const row = Math.floor(index / grid.columns);
      return {
        input: pixels.data,
        raw: { width: pixels.width, height: pixels.height, channels: pixels.channels },
        left: originX + column * (grid.cellWidth + padding) + Math.floor((grid.cellWidth - pixels.width) / 2),
        top: originY + row * (grid.cellHeight + padding) + Math.floor((grid.cellHeight - pixels.height) / 2),
      };
    }),
  );

  const timeout = { seconds: options.timeoutSeconds ?? RENDER_TIMEOUT_SECONDS };
  const canvas = await sharp({ create: { width, height, channels: 4, background: BACKGROUND } })
    .composite(tiles)
    .timeout(timeout)
    .raw()
    .toBuffer();
  const flat = () => sharp(canvas, { raw: { width, height, channels: 4 } }).timeout(timeout);
  const [png, webp] = await Promise.all([flat().png(PNG_OPTIONS).toBuffer(), flat().webp(WEBP_OPTIONS).toBuffer()]);
  return { png, webp, width, height };
}
