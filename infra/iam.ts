import * as pulumi from '@pulumi/pulumi';

/** One IAM statement; actions are always listed explicitly (no `*`), resources by ARN. */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  /** Resource policies only (bucket, queue); identity policies leave it out. */
  Principal?: Record<string, pulumi.Input<string>>;
  Action: string[];
  Resource: pulumi.Input<pulumi.Input<string>[]>;
  Condition?: Record<string, Record<string, pulumi.Input<string | string[]>>>;
}

export function policyDocument(statements: Statement[]): pulumi.Output<string> {
  return pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements });
}

export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: service } }],
  });
}

/** Object ARNs under a key prefix of a bucket. */
export function objectsUnder(bucketArn: pulumi.Input<string>, prefix = ''): pulumi.Output<string> {
  return pulumi.interpolate`${bucketArn}/${prefix}*`;
}

/**
 * What the API needs to withdraw a hidden set's previews (app/api/catalog/preview-exposure.ts): list a set's
 * preview objects, copy them to a new key (read + write) and delete the old ones, all under `previews/`.
 */
export function previewWithdrawalStatements(assetsBucketArn: pulumi.Input<string>): Statement[] {
  return [
    { Sid: 'ListPreviews', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [assetsBucketArn], Condition: { StringLike: { 's3:prefix': ['previews/*'] } } },
    { Sid: 'MovePreviews', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [objectsUnder(assetsBucketArn, 'previews/')] },
  ];
}

/** The pipeline queues and the CDN distribution the API talks to (`PREVIEW_QUEUE_URL`, `IMAGE_QUEUE_URL`, `CLOUDFRONT_DISTRIBUTION_ID`). */
export interface ApiPipelineTargets {
  previewQueueArn: pulumi.Input<string>;
  imageQueueArn: pulumi.Input<string>;
  /** The distribution serving `ASSETS_BASE_URL`. */
  distributionArn: pulumi.Input<string>;
}

/**
 * The API asks PreviewMaker to rebuild family previews (publish, unpublish, block) and re-queues a set's
 * failed images to ImageProcessor; withdrawn previews are invalidated on the distribution that serves them.
 */
export function apiPipelineStatements(targets: ApiPipelineTargets): Statement[] {
  return [
    { Sid: 'QueuePipelineJobs', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [targets.previewQueueArn, targets.imageQueueArn] },
    { Sid: 'InvalidateWithdrawnPreviews', Effect: 'Allow', Action: ['cloudfront:CreateInvalidation'], Resource: [targets.distributionArn] },
  ];
}

/**
 * A distribution's id from its ARN (`arn:aws:cloudfront::<account>:distribution/<id>`): the same value as its
 * `id` in AWS, and one a plan offline computes too (the mocks' ids are not CloudFront-shaped).
 */
export function distributionIdFromArn(arn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(arn).apply((value) => {
    const id = value.split('/').pop();
    if (!id || !value.includes(':distribution/')) throw new Error(`not a CloudFront distribution ARN: ${value}`);
    return id;
  });
}
