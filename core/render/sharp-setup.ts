import sharp from 'sharp';

export interface SharpSettings {
  /**
   * libvips worker threads per pipeline. Default 1: rasterising an 800x600 illustration at 1280 px took
   * 234 ms with 1 thread and 213 ms with 2 (librsvg draws on one thread), and callers get parallelism by
   * running pipelines side by side (renditions of one image, or one sharp per worker thread in the batch CLI).
   */
  concurrency?: number;
}

let configured = false;

/**
 * Process-wide sharp settings. The operation cache is off: every SVG is new, so cached inputs would only
 * hold memory a 1-2 GB Lambda needs for the next image.
 */
export function configureSharp(settings: SharpSettings = {}): void {
  sharp.cache(false);
  sharp.concurrency(settings.concurrency ?? 1);
  configured = true;
}

/** Applies the defaults once unless the host already called `configureSharp`. */
export function ensureSharpConfigured(): void {
  if (!configured) configureSharp();
}
