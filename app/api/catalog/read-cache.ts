/**
 * Public catalog reads (storefront lists and searches) kept in memory as the JSON text they are sent as.
 * Every anonymous visitor asks for the same first pages and popular searches; one database read serves them
 * all until the catalog changes. A list page costs the database and the driver about 1 ms of CPU and sends
 * 40 KB; from here it costs a map lookup (measured in `npm run bench -- api`).
 *
 * Fresh by construction: entries are kept only while the process follows the catalog's change notifications
 * (`following`), and every change drops them all. A read that started before a change is handed to the
 * requests already waiting for it but not kept. Concurrent misses of one key share one read.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { JsonText } from '../http/route.ts';

export interface CachedReply {
  text: string;
  /**
   * `text` gzipped once, for the clients that accept it (browsers, Node's fetch in the storefront): a 40 KB
   * page is 4–5 KB on the wire, compressed once instead of by nginx on every request.
   */
  gzip: Buffer;
  /** Strong validator of `text`, sent as ETag: a revalidating client gets 304 without the body. */
  etag: string;
  /** The gzipped representation's own validator (a strong ETag names exact bytes). */
  gzipEtag: string;
}

const gzipped = promisify(gzip);

export interface CatalogReadCacheOptions {
  maxBytes: number;
  ttlSeconds: number;
}

export interface CatalogReadCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export class CatalogReadCache {
  readonly #entries: LRUCache<string, CachedReply>;
  readonly #loading = new Map<string, Promise<CachedReply>>();
  /** Bumped by every drop: a read begun under an older generation is not kept. */
  #generation = 0;
  #following = false;
  #hits = 0;
  #misses = 0;

  constructor(options: CatalogReadCacheOptions) {
    this.#entries = new LRUCache<string, CachedReply>({
      maxSize: options.maxBytes,
      // UTF-16 code units: close enough to bytes for a memory bound.
      sizeCalculation: (entry) => entry.text.length + entry.gzip.length + 128,
      ttl: options.ttlSeconds * 1000,
    });
  }

  /** The cached reply for `key`, or the result of `load`, shared with every concurrent request for `key`. */
  async reply(key: string, load: () => Promise<JsonText>): Promise<CachedReply> {
    const cached = this.#entries.get(key);
    if (cached) {
      this.#hits++;
      return cached;
    }
    const pending = this.#loading.get(key);
    if (pending) {
      this.#hits++;
      return pending;
    }
    this.#misses++;
    const generation = this.#generation;
    const read = load().then(async ({ text }) => {
      const etag = etagOf(text);
      // Compressed on libuv's thread pool, off the event loop.
      const entry: CachedReply = { text, gzip: await gzipped(text), etag: `"${etag}"`, gzipEtag: `"${etag}-gzip"` };
      if (this.#following && generation === this.#generation) this.#entries.set(key, entry);
      return entry;
    });
    if (!this.#following) return read;
    this.#loading.set(key, read);
    // Only this read's own slot: after a drop, the key may already hold a newer read.
    const forget = () => {
      if (this.#loading.get(key) === read) this.#loading.delete(key);
    };
    read.then(forget, forget);
    return read;
  }

  /** The catalog changed: nothing read before now is served again. */
  drop(): void {
    this.#generation++;
    this.#entries.clear();
    this.#loading.clear();
  }

  /** Whether changes are being followed; while not, nothing is kept (a missed change would go unseen). */
  set following(following: boolean) {
    if (following !== this.#following) this.drop();
    this.#following = following;
  }

  get following(): boolean {
    return this.#following;
  }

  get stats(): CatalogReadCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#entries.calculatedSize };
  }
}

function etagOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}
