import { z } from 'zod';
import { IMAGES_KEPT_PER_APP } from '../../core/limits.ts';
import { IMAGE_TAG_PATTERN, MOVING_TAG } from '../../infra/host-layout.ts';

/**
 * Image rotation on one host, as a pure function: (images on the host, event) → (new state, actions).
 * The Docker adapter (`docker.ts`) only carries the actions out, so every rule lives and is tested here.
 *
 * Rules:
 * - a deploy pulls the new tag, points `latest` at it and restarts the app on it;
 * - at most `keep` images stay; past that, failed images go first, then the oldest,
 *   but never the image just deployed nor the newest good one, so a rollback always has a target;
 * - a failed health check marks the image bad and rolls back by itself;
 * - `rollback` marks the running image bad and moves to the newest good image before it.
 */

export const imageStatuses = ['pending', 'good', 'bad'] as const;
export type ImageStatus = (typeof imageStatuses)[number];

/** Docker tag rules: 1–128 chars of [A-Za-z0-9_.-], not starting with '.' or '-'. */
export const imageTagSchema = z
  .string()
  .regex(IMAGE_TAG_PATTERN, 'a Docker tag: 1–128 of A-Z a-z 0-9 _ . -, not starting with . or -')
  .refine((tag) => tag !== MOVING_TAG, `a commit tag, not "${MOVING_TAG}" (that one is moved by the rotation)`);

export const hostImagesSchema = z.object({
  /** Oldest first. */
  images: z.array(z.object({ tag: imageTagSchema, status: z.enum(imageStatuses) })),
  /** The tag `latest` points at and the app runs, or null before the first deploy. */
  running: imageTagSchema.nullable(),
});
export type HostImages = z.infer<typeof hostImagesSchema>;
export type HostImage = HostImages['images'][number];

export const EMPTY_HOST: HostImages = { images: [], running: null };

export type RotationEvent =
  | { type: 'deploy'; tag: string }
  | { type: 'health'; tag: string; ok: boolean }
  | { type: 'rollback' };

export type RotationAction =
  | { type: 'pull'; tag: string }
  | { type: 'tag-latest'; tag: string }
  | { type: 'restart' }
  | { type: 'remove'; tag: string };

export interface RotationResult {
  state: HostImages;
  /** In the order they must run: the new image runs before the old one is removed. */
  actions: RotationAction[];
  /** One line for the operator: what happened and which image runs. */
  message: string;
  /** Set when this event moved the app back to an older image. */
  rolledBackTo?: string;
  /** True when the event asked for something that could not be done (rollback with no target). */
  failed: boolean;
}

export function rotate(state: HostImages, event: RotationEvent, keep: number = IMAGES_KEPT_PER_APP): RotationResult {
  if (!Number.isInteger(keep) || keep < 2) {
    throw new RangeError(`keep must be an integer ≥ 2 (the new image and one to roll back to), got ${keep}`);
  }
  switch (event.type) {
    case 'deploy':
      return deploy(state, parseTag(event.tag), keep);
    case 'health':
      return health(state, parseTag(event.tag), event.ok);
    case 'rollback':
      return rollback(state);
  }
}

/** Readable errors at the edge: the tag usually comes from a CLI flag or a CI variable. */
export function parseTag(tag: string): string {
  const parsed = imageTagSchema.safeParse(tag);
  if (!parsed.success) {
    throw new TypeError(`invalid image tag ${JSON.stringify(tag)}: expected ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return parsed.data;
}

function deploy(state: HostImages, tag: string, keep: number): RotationResult {
  if (state.running === tag) {
    // Re-running a deploy of what already runs must change nothing (retried CI job).
    return { state, actions: [], message: `${tag} already runs; nothing to do`, failed: false };
  }
  const known = state.images.some((image) => image.tag === tag);
  const others = state.images.filter((image) => image.tag !== tag);
  let images: HostImage[] = [...others, { tag, status: 'pending' }];
  const actions: RotationAction[] = known ? [] : [{ type: 'pull', tag }];
  actions.push({ type: 'tag-latest', tag }, { type: 'restart' });

  const evicted = chooseEvictions(images, tag, keep);
  images = images.filter((image) => !evicted.includes(image.tag));
  actions.push(...evicted.map((evictedTag): RotationAction => ({ type: 'remove', tag: evictedTag })));

  const removed = evicted.length > 0 ? `; removed ${evicted.join(', ')}` : '';
  return {
    state: { images, running: tag },
    actions,
    message: `deployed ${tag} as latest${state.running ? ` (was ${state.running})` : ' (first deploy)'}${removed}`,
    failed: false,
  };
}

/** Which tags to drop so at most `keep` remain: bad ones first, then oldest; never `newTag` or the newest good one. */
function chooseEvictions(images: HostImage[], newTag: string, keep: number): string[] {
  const excess = images.length - keep;
  if (excess <= 0) return [];
  const lastGood = newestGood(images, newTag);
  const candidates = images.filter((image) => image.tag !== newTag && image.tag !== lastGood?.tag);
  const badFirst = [...candidates.filter((i) => i.status === 'bad'), ...candidates.filter((i) => i.status !== 'bad')];
  return badFirst.slice(0, excess).map((image) => image.tag);
}

function newestGood(images: HostImage[], except: string | null): HostImage | undefined {
  return images.findLast((image) => image.status === 'good' && image.tag !== except);
}

function health(state: HostImages, tag: string, ok: boolean): RotationResult {
  if (!state.images.some((image) => image.tag === tag)) {
    return { state, actions: [], message: `${tag} is not on this host; health result ignored`, failed: true };
  }
  const images = state.images.map((image) => (image.tag === tag ? { ...image, status: ok ? 'good' : 'bad' } as const : image));
  if (ok) {
    return { state: { ...state, images }, actions: [], message: `${tag} is healthy`, failed: false };
  }
  if (state.running !== tag) {
    // A stale failure for an image that no longer runs: remember it, move nothing.
    return { state: { ...state, images }, actions: [], message: `${tag} marked bad (not running)`, failed: false };
  }
  return moveBack({ ...state, images }, tag, `${tag} failed its health check`);
}

function rollback(state: HostImages): RotationResult {
  if (state.running === null) {
    return { state, actions: [], message: 'nothing to roll back: no image has been deployed', failed: true };
  }
  const running = state.running;
  const images = state.images.map((image) => (image.tag === running ? { ...image, status: 'bad' } as const : image));
  return moveBack({ ...state, images }, running, `rollback requested from ${running}`);
}

function moveBack(state: HostImages, from: string, reason: string): RotationResult {
  const target = newestGood(state.images, from);
  if (!target) {
    const count = state.images.length;
    return {
      state,
      actions: [],
      message: `${reason}; no good image to roll back to (${count} image${count === 1 ? '' : 's'} on host), ${from} stays`,
      failed: true,
    };
  }
  return {
    state: { ...state, running: target.tag },
    actions: [{ type: 'tag-latest', tag: target.tag }, { type: 'restart' }],
    message: `${reason}; rolled back to ${target.tag}`,
    rolledBackTo: target.tag,
    failed: false,
  };
}
