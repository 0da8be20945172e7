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
