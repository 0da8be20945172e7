/**
 * Telling the CDN to forget objects that were withdrawn from the public assets bucket. Preview keys are
 * cached as immutable for a year (core/storage/headers.ts), so deleting an object in S3 is not enough: the
 * edge would keep serving it. In AWS this is a CloudFront invalidation; locally there is no CDN (the front
 * door proxies s3rver uncached), so the S3 delete alone makes the object unreachable.
 */
import { randomUUID } from 'node:crypto';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { awsClientConfig } from '../aws.ts';

export interface CdnInvalidator {
  /**
   * Object keys or key prefixes in the assets bucket (a prefix ends in `/` and is invalidated with a
   * trailing `*`). Resolves once the CDN accepted the request; edges drop the objects within minutes.
   */
  invalidate(keysOrPrefixes: readonly string[]): Promise<void>;
}

/** Where there is no CDN in front of the assets bucket. */
export const noCdn: CdnInvalidator = { invalidate: async () => undefined };

/** CloudFront takes at most 3,000 paths per invalidation (15 of them wildcards while in progress). */
const MAX_PATHS_PER_INVALIDATION = 3000;

export class CloudFrontInvalidator implements CdnInvalidator {
  readonly #client: CloudFrontClient;
  readonly #distributionId: string;
  readonly #pathPrefix: string;

  /**
   * `assetsBaseUrl` is the public URL of the assets bucket on this distribution (ASSETS_BASE_URL); its path
   * (e.g. `/assets` when the storefront's distribution serves assets under a path) prefixes every key.
   */
  constructor(client: CloudFrontClient, distributionId: string, assetsBaseUrl: string) {
    if (!/^[A-Z0-9]{1,64}$/.test(distributionId)) throw new TypeError(`not a CloudFront distribution id: ${JSON.stringify(distributionId)}`);
    this.#client = client;
    this.#distributionId = distributionId;
    this.#pathPrefix = new URL(assetsBaseUrl).pathname.replace(/\/+$/, '');
  }

  async invalidate(keysOrPrefixes: readonly string[]): Promise<void> {
    const paths = [...new Set(keysOrPrefixes.map((key) => this.#pathOf(key)))];
    for (let start = 0; start < paths.length; start += MAX_PATHS_PER_INVALIDATION) {
      const items = paths.slice(start, start + MAX_PATHS_PER_INVALIDATION);
      await this.#client.send(
        new CreateInvalidationCommand({
          DistributionId: this.#distributionId,
          // Unique per call: a retry of the same withdrawal is a new (harmless) invalidation, never "already exists".
          InvalidationBatch: { CallerReference: randomUUID(), Paths: { Quantity: items.length, Items: items } },
        }),
      );
    }
  }

  #pathOf(key: string): string {
    if (key.startsWith('/') || key.includes('*') || key.includes('..')) throw new TypeError(`not an object key or prefix: ${JSON.stringify(key)}`);
    const encoded = key.split('/').map(encodeURIComponent).join('/');
    return `${this.#pathPrefix}/${encoded}${key.endsWith('/') ? '*' : ''}`;
  }
}

/**
 * CloudFront when CLOUDFRONT_DISTRIBUTION_ID is set (AWS_ENDPOINT_URL_CLOUDFRONT points the client at a
 * stand-in in tests); otherwise no CDN.
 */
export function createCdnInvalidator(env: NodeJS.ProcessEnv, assetsBaseUrl: string): CdnInvalidator {
  const distributionId = env.CLOUDFRONT_DISTRIBUTION_ID;
  if (!distributionId) return noCdn;
  return new CloudFrontInvalidator(new CloudFrontClient(awsClientConfig(env, 'CLOUDFRONT')), distributionId, assetsBaseUrl);
}
