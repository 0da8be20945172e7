/**
 * Customised renders of one image: whether it can be recoloured or take another stroke width (read once from
 * its sanitised original, kept in image_customisation), and the file for a set of options, rendered on the
 * first request and kept in the private downloads bucket under `custom/` (listed in custom_renders) for
 * every later one. Every render starts from the original re-checked by the sanitiser, never from raw input.
 */
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { CUSTOM_RENDER_CONCURRENCY, CUSTOM_RENDER_QUEUE, CUSTOM_RENDER_RETENTION_DAYS } from '../../../core/limits.ts';
import { jsonb } from '../../../core/catalog/db.ts';
import { analyseSvg, customKeyHash, renderCustomised, type Customisability, type CustomOptions } from '../../../core/render/index.ts';
import { customKey, ObjectStore, sanitisedSvgFrom, type SanitisedSvg } from '../../../core/storage/index.ts';
import { sanitizeSvg } from '../../../core/svg/index.ts';
import type { ApiContext } from '../context.ts';
import { Slots } from './slots.ts';

/** Bump when analyseSvg decides differently: stored flags of an older version are read again. */
export const ANALYSER_VERSION = 1;

export interface CustomisableImage {
  id: string;
  productId: string;
  title: string;
  originalKey: string;
  sha256: string;
}

export interface CustomFlags {
  colour: boolean;
  stroke: boolean;
  /** Why not, per option (absent when it applies). */
  reasons: { colour?: string; stroke?: string };
}

export interface StoredCustomRender {
  key: string;
  /** File name the object downloads as. */
  fileName: string;
  /** True when the file existed: nothing was rendered or written. */
  cached: boolean;
}

const NONE: CustomFlags = { colour: false, stroke: false, reasons: { colour: 'its original is not available', stroke: 'its original is not available' } };

export class Customiser {
  readonly #ctx: ApiContext;
  readonly #store: ObjectStore;
  /** Renders under way, by object key: simultaneous equal requests share one render and one write. */
  readonly #rendering = new Map<string, Promise<void>>();
  /**
   * Renders take CPU from every other request of this process: only a few run at once, a bounded few wait,
   * and render() throws SlotsFull past that. Equal requests join the render under way without a place.
   */
  readonly #slots: Slots;

  constructor(ctx: ApiContext, slots = new Slots(CUSTOM_RENDER_CONCURRENCY, CUSTOM_RENDER_QUEUE)) {
    this.#ctx = ctx;
    this.#slots = slots;
    this.#store = new ObjectStore(ctx.objectS3, ctx.buckets);
  }

  /** The stored original, sanitised again here: only what the sanitiser returns is ever transformed. */
  async #original(image: CustomisableImage): Promise<SanitisedSvg> {
    const result = sanitizeSvg(await this.#store.getOriginal(image.originalKey));
    if (!result.ok) throw new Error(`the stored original ${image.originalKey} no longer passes the sanitiser: ${result.reason}`);
    return sanitisedSvgFrom(result);
  }

  async flags(image: CustomisableImage, log?: Logger): Promise<CustomFlags> {
    const stored = await this.#ctx.db
      .selectFrom('imageCustomisation')
      .select(['colour', 'colourReason', 'stroke', 'strokeReason'])
      .where('imageId', '=', image.id)
      .where('analyserVersion', '=', ANALYSER_VERSION)
      .executeTakeFirst();
    if (stored) return toFlags(stored);
    let analysis: Customisability;
    try {
      analysis = analyseSvg(await this.#original(image));
    } catch (error) {
      // Not stored: a missing original (a seeded catalog) or a passing S3 failure must not stick.
      log?.warn({ err: error, imageId: image.id }, 'cannot read the original to decide customisation');
      return NONE;
    }
    const row = {
      colour: analysis.colour.ok,
      colourReason: analysis.colour.ok ? null : analysis.colour.reason,
      stroke: analysis.stroke.ok,
      strokeReason: analysis.stroke.ok ? null : analysis.stroke.reason,
    };
    await this.#ctx.db
      .insertInto('imageCustomisation')
      .values({ imageId: image.id, analyserVersion: ANALYSER_VERSION, ...row })
      .onConflict((oc) => oc.column('imageId').doUpdateSet({ analyserVersion: ANALYSER_VERSION, ...row }))
      .execute();
    return toFlags(row);
  }

  /** The stored file for these options, rendered and written only if no equal request came before. */
  async render(image: CustomisableImage, options: CustomOptions, encoding: { losslessWebp: boolean }): Promise<StoredCustomRender> {
    const key = customKey(image.productId, image.id, customKeyHash(image.sha256, options), options.format);
    const fileName = customFileName(image.title, options);
    // A listing older than the bucket keeps the object (less a day, for clock skew) may point at nothing.
    const known = await this.#ctx.db
      .selectFrom('customRenders')
      .select('objectKey')
      .where('objectKey', '=', key)
      .where('createdAt', '>', sql<Date>`now() - make_interval(days => ${CUSTOM_RENDER_RETENTION_DAYS - 1})`)
      .executeTakeFirst();
    if (known) return { key, fileName, cached: true };
    let pending = this.#rendering.get(key);
    if (!pending) {
      // Rejects with SlotsFull when the line is full (custom-routes.ts answers 503).
      pending = this.#slots.run(async () => {
        const rendered = await renderCustomised(await this.#original(image), options, encoding);
        await this.#store.putCustom(key, rendered.bytes, options.format, fileName.slice(0, -(options.format.length + 1)));
        // Listed only once the object exists: a failed write leaves nothing that claims it does.
        await this.#ctx.db
          .insertInto('customRenders')
          .values({ objectKey: key, imageId: image.id, format: options.format, size: options.size, bytes: rendered.bytes.length })
          .onConflict((oc) => oc.column('objectKey').doUpdateSet({ createdAt: sql<Date>`now()`, bytes: rendered.bytes.length }))
          .execute();
      }).finally(() => this.#rendering.delete(key));
      this.#rendering.set(key, pending);
    }
    await pending;
    return { key, fileName, cached: false };
  }
}

function toFlags(row: { colour: boolean; colourReason: string | null; stroke: boolean; strokeReason: string | null }): CustomFlags {
  return {
    colour: row.colour,
    stroke: row.stroke,
    reasons: { ...(row.colourReason ? { colour: row.colourReason } : {}), ...(row.strokeReason ? { stroke: row.strokeReason } : {}) },
  };
}

/** "Sun 512px ff0000 stroke 1.5.png": what was asked for, readable in a downloads folder. */
export function customFileName(title: string, options: CustomOptions): string {
  const parts = [title, `${options.size}px`];
  if (options.colour) parts.push(options.colour.slice(1));
  if (options.strokeWidth !== undefined) parts.push(`stroke ${options.strokeWidth}`);
  return `${parts.join(' ')}.${options.format}`;
}

/** What a download row records of the options (null when nothing was customised). */
export function loggedOptions(options: CustomOptions) {
  const logged = { ...(options.colour ? { colour: options.colour } : {}), ...(options.strokeWidth !== undefined ? { strokeWidth: options.strokeWidth } : {}) };
  return Object.keys(logged).length > 0 ? jsonb(logged) : null;
}
