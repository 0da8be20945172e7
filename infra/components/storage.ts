import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { CUSTOM_RENDER_RETENTION_DAYS } from '../../core/limits.ts';
import { componentType } from '../component-type.ts';
import { FIXED_NAME, type Namer } from '../naming.ts';

/** Raw uploads arrive here: `uploads/<contributorId>/<uploadId>.zip`. */
export const UPLOAD_PREFIX = 'uploads/';
export const UPLOAD_SUFFIX = '.zip';
/**
 * Key prefixes of `core/storage/keys.ts` that IAM grants and CloudFront behaviours are scoped to
 * (a test checks they match the keys core makes).
 */
export const PREVIEW_PREFIX = 'previews/';
export const FAMILY_PREVIEW_PREFIX = 'family-previews/';
export const ORIGINALS_PREFIX = 'originals/';
export const SET_ZIP_PREFIX = 'sets/';
/** Customised renders the API writes to the downloads bucket (app/api/downloads/customiser.ts). */
export const CUSTOM_PREFIX = 'custom/';
/** Renditions above the preview size (core/storage/full-size-keys.ts): downloads bucket, private. */
export const FULL_SIZE_PREFIX = 'full-size/';
/**
 * Set ZIPs the API once copied per entitlement with its LICENSE.txt inside. Nothing writes here any more
 * (LICENSE.txt is served beside the one shared set ZIP): a lifecycle rule deletes the copies left behind.
 */
export const LICENSED_ZIP_PREFIX = 'licensed/';
/** The assets keys CloudFront may read; everything else in the bucket stays unreachable. */
export const PUBLIC_ASSET_PREFIXES = [PREVIEW_PREFIX, FAMILY_PREVIEW_PREFIX] as const;

export interface StorageArgs {
  /** Physical names: `<project>-<stack>-<name>`. */
  naming: Namer;
  /** Days after which raw upload ZIPs are deleted; the catalog keeps everything derived. @default 30 */
  rawUploadRetentionDays: number;
  /**
   * The stack keeps its data (stack config `removal: retain`, prod's default): the assets and downloads
   * buckets keep old versions, and a destroy leaves all three buckets in place.
   */
  retainData: boolean;
  /** `pr-<n>` stacks: a destroy empties the buckets so nothing is left behind. */
  ephemeral: boolean;
}

export interface PrivateBucketArgs {
  /**
   * The bucket's name, unique across every AWS account (`Namer.unique`). Only a new bucket takes it: a
   * bucket keeps the name it was created with, since a new name would replace it and leave its objects behind.
   */
  bucketName: pulumi.Input<string>;
  /** Keep every version: losing these objects loses contributors' work or buyers' files. */
  versioned: boolean;
  /** Emit S3 events to EventBridge (the uploads bucket triggers ImageBatcher). */
  eventBridge?: boolean;
  /** A destroy deletes the bucket's objects too (else it fails on a non-empty bucket). */
  forceDestroy: boolean;
  /** A destroy leaves the bucket in place (the stack's data). */
  retainOnDelete: boolean;
}

/** A private, encrypted bucket with all four public-access blocks and owner-enforced objects. */
export class PrivateBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;

  constructor(readonly logicalName: string, spec: PrivateBucketArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('PrivateBucket'), logicalName, {}, opts);
    const name = logicalName;
    const parent = { parent: this };
    this.bucket = new aws.s3.Bucket(
      name,
      { bucket: spec.bucketName, forceDestroy: spec.forceDestroy },
      // Buckets created before names had a suffix keep theirs (ignoreChanges); a replacement reuses the name.
      { ...parent, ...FIXED_NAME, retainOnDelete: spec.retainOnDelete, ignoreChanges: ['bucket'] },
    );
    const bucket = this.bucket.bucket;
    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } }, parent);
    // SSE-S3 costs nothing; a customer key would add $1/month per key plus request charges.
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }] },
      parent,
    );
    if (spec.versioned) {
      new aws.s3.BucketVersioning(`${name}-versioning`, { bucket, versioningConfiguration: { status: 'Enabled' } }, parent);
    }
    if (spec.eventBridge) {
      new aws.s3.BucketNotification(`${name}-eventbridge`, { bucket, eventbridge: true }, parent);
    }
    this.registerOutputs({ bucket });
  }

  get name(): pulumi.Output<string> {
    return this.bucket.bucket;
  }

  get arn(): pulumi.Output<string> {
    return this.bucket.arn;
  }
}

/** The three buckets of the marketplace (see architecture.md §1). */
export class Storage extends pulumi.ComponentResource {
  readonly uploads: PrivateBucket;
  readonly assets: PrivateBucket;
  readonly downloads: PrivateBucket;

  constructor(name: string, args: StorageArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(componentType('Storage'), name, {}, opts);
    const parent = { parent: this };
    const retained = args.retainData;
    const removal = { forceDestroy: args.ephemeral, retainOnDelete: retained };
    // Raw uploads are re-creatable by the contributor and expire anyway: no versioning.
    const bucket = (slug: string, spec: Pick<PrivateBucketArgs, 'versioned' | 'eventBridge'>) =>
      new PrivateBucket(args.naming(slug, 's3Bucket'), { ...removal, ...spec, bucketName: args.naming.unique(slug, 's3Bucket') }, parent);
    this.uploads = bucket('uploads', { versioned: false, eventBridge: true });
    this.assets = bucket('assets', { versioned: retained });
    this.downloads = bucket('downloads', { versioned: retained });

    new aws.s3.BucketLifecycleConfiguration(
      `${args.naming('uploads')}-lifecycle`,
      {
        bucket: this.uploads.name,
        rules: [
          {
            id: 'expire-raw-uploads',
            status: 'Enabled',
            filter: { prefix: UPLOAD_PREFIX },
            expiration: { days: args.rawUploadRetentionDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      { parent: this.uploads },
    );
    // Versioned buckets keep overwritten objects; bound what that costs.
    const oldVersions = { id: 'expire-old-versions', status: 'Enabled', filter: {}, noncurrentVersionExpiration: { noncurrentDays: 90 } };
    // Customised renders are re-creatable on request; the API draws one again once its listing is this old.
    const customRenders = { id: 'expire-custom-renders', status: 'Enabled', filter: { prefix: CUSTOM_PREFIX }, expiration: { days: CUSTOM_RENDER_RETENTION_DAYS } };
    // Per-buyer copies of set ZIPs from before LICENSE.txt was served beside the shared ZIP: nothing needs them.
    const licensedCopies = { id: 'expire-licensed-set-zips', status: 'Enabled', filter: { prefix: LICENSED_ZIP_PREFIX }, expiration: { days: 1 } };
    const lifecycleRules: Array<[PrivateBucket, Array<typeof oldVersions | typeof customRenders>]> = [
      [this.assets, retained ? [oldVersions] : []],
      [this.downloads, retained ? [customRenders, licensedCopies, oldVersions] : [customRenders, licensedCopies]],
    ];
    for (const [bucket, rules] of lifecycleRules) {
      if (rules.length === 0) continue;
      new aws.s3.BucketLifecycleConfiguration(`${bucket.logicalName}-lifecycle`, { bucket: bucket.name, rules }, { parent: bucket });
    }
    this.registerOutputs({ uploads: this.uploads.name, assets: this.assets.name, downloads: this.downloads.name });
  }
}
