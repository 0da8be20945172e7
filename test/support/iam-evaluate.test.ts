import { expect } from 'chai';
import { evaluate, type EvaluatedStatement } from './iam-evaluate.ts';

/** The evaluator the IAM tests judge policies with: AWS's rules on the cases the boundary and the preview deny rely on. */
describe('test/support/iam-evaluate: AWS policy evaluation, as far as this repository uses it', () => {
  const byTag: EvaluatedStatement = { Effect: 'Allow', NotAction: 'iam:*', Resource: '*', Condition: { StringLike: { 'aws:ResourceTag/stack': 'pr-*' } } };
  const otherStack: EvaluatedStatement = { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotLike: { 'aws:ResourceTag/stack': 'pr-*' }, Null: { 'aws:ResourceTag/stack': 'false' } } };
  const bounded: EvaluatedStatement = { Effect: 'Deny', Action: 'iam:CreateRole', Resource: '*', Condition: { StringNotEquals: { 'iam:PermissionsBoundary': 'arn:b' } } };

  it('a positive operator needs the key; a negated one holds without it; Null tells present from absent', () => {
    const tagged = (stack?: string): Record<string, string> => (stack ? { 'aws:ResourceTag/stack': stack } : {});
    expect(evaluate({ action: 'sqs:SendMessage', resource: 'arn:q', context: tagged('pr-7') }, [byTag, otherStack])).to.equal('allow');
    expect(evaluate({ action: 'sqs:SendMessage', resource: 'arn:q', context: tagged('prod') }, [byTag, otherStack])).to.equal('explicit deny');
    expect(evaluate({ action: 'sqs:SendMessage', resource: 'arn:q', context: tagged() }, [byTag, otherStack])).to.equal('implicit deny');
    expect(evaluate({ action: 'iam:CreateRole', resource: 'arn:r' }, [{ Effect: 'Allow', Action: '*', Resource: '*' }, bounded])).to.equal('explicit deny');
    expect(evaluate({ action: 'iam:CreateRole', resource: 'arn:r', context: { 'iam:PermissionsBoundary': 'arn:b' } }, [{ Effect: 'Allow', Action: '*', Resource: '*' }, bounded])).to.equal('allow');
  });

  it('NotAction and NotResource invert; actions match case-insensitively, ARNs with * and ? case-sensitively; "*" requests match only "*"', () => {
    const allow: EvaluatedStatement = { Effect: 'Allow', Action: 'S3:Get*', Resource: 'arn:aws:s3:::pr-?/*' };
    expect(evaluate({ action: 's3:getobject', resource: 'arn:aws:s3:::pr-7/a/b' }, [allow])).to.equal('allow');
    expect(evaluate({ action: 's3:GetObject', resource: 'arn:aws:s3:::PR-7/a' }, [allow])).to.equal('implicit deny');
    expect(evaluate({ action: 's3:GetObject', resource: 'arn:aws:s3:::pr-17/a' }, [allow])).to.equal('implicit deny');
    expect(evaluate({ action: 's3:GetObject', resource: '*' }, [allow])).to.equal('implicit deny');
    expect(evaluate({ action: 'iam:CreateUser', resource: '*' }, [byTag])).to.equal('implicit deny');
    const spare: EvaluatedStatement = { Effect: 'Deny', Action: 'ssm:GetParameter', NotResource: 'arn:aws:ssm:*:*:parameter/aws/service/*' };
    const all: EvaluatedStatement = { Effect: 'Allow', Action: '*', Resource: '*' };
    expect(evaluate({ action: 'ssm:GetParameter', resource: 'arn:aws:ssm:us-east-1::parameter/aws/service/ami' }, [all, spare])).to.equal('allow');
    expect(evaluate({ action: 'ssm:GetParameter', resource: 'arn:aws:ssm:us-east-1:1:parameter/app/secret' }, [all, spare])).to.equal('explicit deny');
  });

  it('a permissions boundary must allow too, and its denies count', () => {
    const all: EvaluatedStatement = { Effect: 'Allow', Action: '*', Resource: '*' };
    expect(evaluate({ action: 'sqs:SendMessage', resource: 'arn:q', context: { 'aws:ResourceTag/stack': 'dev' } }, [all], [byTag])).to.equal('implicit deny');
    expect(evaluate({ action: 'sqs:SendMessage', resource: 'arn:q', context: { 'aws:ResourceTag/stack': 'dev' } }, [all], [all, otherStack])).to.equal('explicit deny');
    expect(evaluate({ action: 'sqs:SendMessage', resource: 'arn:q', context: { 'aws:ResourceTag/stack': 'pr-1' } }, [byTag], [all])).to.equal('allow');
  });

  it('refuses operators it does not implement rather than guess', () => {
    const statement: EvaluatedStatement = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualsIfExists: { 'aws:ResourceTag/stack': 'pr-1' } } };
    expect(() => evaluate({ action: 'sqs:SendMessage', resource: 'arn:q' }, [statement])).to.throw(/not supported/);
  });
});
