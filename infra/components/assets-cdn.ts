import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';
import { policyDocument } from '../iam.ts';
import { PUBLIC_ASSET_PREFIXES, type Storage } from './storage.ts';

/** CloudFront-managed policy (fixed ID published by AWS). */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';

/** The origin access control and response headers every distribution serving previews uses. */
export interface PreviewOriginParts {
  accessControl: aws.cloudfront.OriginAccessControl;
  headersPolicy: aws.cloudfront.ResponseHeadersPolicy;
}

export function previewOriginParts(naming: Namer, opts: pulumi.CustomResourceOptions): PreviewOriginParts {
  const accessControl = new aws.cloudfront.OriginAccessControl(
    naming('assets-oac'),
    { name: naming('assets-oac'), originAccessControlOriginType: 's3', signingBehavior: 'always', signingProtocol: 'sigv4' },
    { ...opts, ...FIXED_NAME },
  );
  // Sanitised SVGs are still SVG: never sniff, never run script, even from our own origin.
  const headersPolicy = new aws.cloudfront.ResponseHeadersPolicy(
    naming('preview-headers'),
    {
      name: naming('preview-headers'),
      securityHeadersConfig: {
        contentTypeOptions: { override: true },
        contentSecurityPolicy: { override: true, contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; sandbox" },
        strictTransportSecurity: { override: true, accessControlMaxAgeSec: 31_536_000, includeSubdomains: true },
      },
    },
    { ...opts, ...FIXED_NAME },
  );
  return { accessControl, headersPolicy };
}

/** One cache behaviour per public preview prefix. Preview keys are versioned (core/storage/keys.ts), so they cache as immutable. */
export function previewCacheBehaviors(originId: string, parts: PreviewOriginParts) {
  return PUBLIC_ASSET_PREFIXES.map((prefix) => ({
    pathPattern: `/${prefix}*`,
    targetOriginId: originId,
    viewerProtocolPolicy: 'redirect-to-https',
    allowedMethods: ['GET', 'HEAD'],
    cachedMethods: ['GET', 'HEAD'],
    compress: true,
    cachePolicyId: CACHING_OPTIMIZED,
    responseHeadersPolicyId: parts.headersPolicy.id,
  }));
}

/** Only this distribution may read previews, and only those keys; the bucket stays blocked to the public. */
export function previewReadPolicy(storage: Storage, distribution: aws.cloudfront.Distribution): aws.s3.BucketPolicy {
  return new aws.s3.BucketPolicy(
    `${storage.assets.logicalName}-cdn-read`,
    {
      bucket: storage.assets.name,
      policy: policyDocument([
        {
          Sid: 'CloudFrontReadsPreviews',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: ['s3:GetObject'],
          Resource: PUBLIC_ASSET_PREFIXES.map((prefix) => pulumi.interpolate`${storage.assets.arn}/${prefix}*`),
          Condition: { StringEquals: { 'AWS:SourceArn': distribution.arn } },
        },
      ]),
    },
    { parent: distribution },
  );
}

export interface AssetsCdnArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  storage: Storage;
}

/**
 * Dev and pr-<n>: a CloudFront distribution in front of the private assets bucket (origin access
 * control, previews only), so the API can hand out preview URLs without opening the bucket.
 * No WAF: it only serves immutable public previews, and CloudFront itself costs nothing at idle.
 * Prod serves previews from the storefront's distribution instead (`Frontend`), on one origin.
 */
export class AssetsCdn extends pulumi.ComponentResource {
  readonly distribution: aws.cloudfront.Distribution;

  constructor(name: string, args: AssetsCdnArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('AssetsCdn'), name, {}, opts);
    const parts = previewOriginParts(args.naming, { parent: this });
    const originId = 'assets';
    const [first, ...rest] = previewCacheBehaviors(originId, parts);
    if (!first) throw new Error('AssetsCdn: no public asset prefixes to serve');
    this.distribution = new aws.cloudfront.Distribution(
      args.naming('assets-cdn'),
      {
        enabled: true,
        isIpv6Enabled: true,
        httpVersion: 'http2and3',
        priceClass: 'PriceClass_100',
        comment: `${args.naming.project} ${args.naming.stack} previews`,
        origins: [{ originId, domainName: args.storage.assets.bucket.bucketRegionalDomainName, originAccessControlId: parts.accessControl.id }],
        // A distribution needs a default behaviour; outside the preview prefixes the bucket policy answers 403.
        defaultCacheBehavior: (({ pathPattern: _, ...behavior }) => behavior)(first),
        orderedCacheBehaviors: [first, ...rest],
        restrictions: { geoRestriction: { restrictionType: 'none' } },
        viewerCertificate: { cloudfrontDefaultCertificate: true },
      },
      { parent: this },
    );
    previewReadPolicy(args.storage, this.distribution);
    this.registerOutputs({ url: this.url });
  }

  /** Base URL of the preview keys (`<url>/previews/...`). */
  get url(): pulumi.Output<string> {
    return pulumi.interpolate`https://${this.distribution.domainName}`;
  }
}
