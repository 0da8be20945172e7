/** Public URLs of objects in the assets bucket (renditions, family previews): CDN in prod, S3 emulator locally. */
import type { FamilyPreviewKeys } from '../../../core/catalog/index.ts';

export class AssetUrls {
  readonly #base: string;

  constructor(baseUrl: string) {
    this.#base = baseUrl.replace(/\/+$/, '');
  }

  /** Without a trailing slash. SQL that builds pages (summary-json.ts) joins it to keys the same way `of` does. */
  get base(): string {
    return this.#base;
  }

  of(key: string): string {
    return `${this.#base}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  familyPreview(keys: FamilyPreviewKeys | null): { png?: string; webp?: string } | null {
    if (!keys || (!keys.png && !keys.webp)) return null;
    return {
      ...(keys.png ? { png: this.of(keys.png) } : {}),
      ...(keys.webp ? { webp: this.of(keys.webp) } : {}),
    };
  }
}
