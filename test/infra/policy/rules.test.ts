import { expect } from 'chai';
import { checkPolicies, RULES, type PolicySubject } from '../../../infra/policy/rules.ts';
import { toPolicySubjects } from '../../../scripts/plan/policy-check.ts';
import { stackRun } from '../fixture.ts';

type Mutation = (subjects: PolicySubject[]) => void;
/** Rules about what only a dev-shaped stack has are broken on dev; every other on prod. */
type Break = Mutation | { stack: 'dev'; mutate: Mutation };

function find(subjects: PolicySubject[], type: string, suffix = ''): PolicySubject {
  const found = subjects.find((s) => s.type === type && s.name.endsWith(suffix));
  if (!found) throw new Error(`no ${type} *${suffix}`);
  return found;
}

function withPolicy(subject: PolicySubject, statements: unknown[]): void {
  subject.props['policy'] = JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** One way to break each rule; each must be caught on the real prod stack (or dev's, for what only dev has). */
const BREAKS: Record<string, Break> = {
  's3-public-access-blocked': (s) => {
    find(s, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock', '-assets-public-access').props['restrictPublicBuckets'] = false;
  },
  's3-encrypted': (s) => {
    const index = s.findIndex((r) => r.name.endsWith('-downloads-encryption'));
    s.splice(index, 1);
  },
  'rds-private-encrypted-backed-up': (s) => {
    find(s, 'aws:rds/instance:Instance').props['publiclyAccessible'] = true;
  },
  'lightsail-database-private': {
    stack: 'dev',
    mutate: (s) => {
      find(s, 'aws:lightsail/database:Database', '-db').props['publiclyAccessible'] = true;
    },
  },
  'iam-no-wildcards-on-data': (s) => {
    withPolicy(find(s, 'aws:iam/rolePolicy:RolePolicy', '-image-processor-access'), [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }]);
  },
  'sqs-visibility-covers-consumer': (s) => {
    find(s, 'aws:sqs/queue:Queue', '-image-processor').props['visibilityTimeoutSeconds'] = 60;
  },
  'sqs-consumed-queues-have-dlq': (s) => {
    delete find(s, 'aws:sqs/queue:Queue', '-preview-maker').props['redrivePolicy'];
  },
  'sqs-consumed-with-partial-batches': (s) => {
    find(s, 'aws:lambda/eventSourceMapping:EventSourceMapping', '-preview-maker-source').props['functionResponseTypes'] = [];
  },
  'cloudfront-waf-in-us-east-1': (s) => {
    const acl = s.find((r) => r.type === 'aws:wafv2/webAcl:WebAcl' && r.props['scope'] === 'CLOUDFRONT');
    if (acl) acl.region = 'eu-west-1';
  },
  'log-groups-have-retention': (s) => {
    delete find(s, 'aws:cloudwatch/logGroup:LogGroup', '-preview-maker').props['retentionInDays'];
  },
  'lambda-supported-runtime': (s) => {
    find(s, 'aws:lambda/function:Function', '-image-batcher').props['runtime'] = 'nodejs18.x';
  },
  'ec2-imdsv2': (s) => {
    find(s, 'aws:ec2/instance:Instance', '-logstash').props['metadataOptions'] = { httpTokens: 'optional' };
  },
};

describe('infra/policy rules', () => {
  for (const stack of ['dev', 'prod', 'pr-7'] as const) {
    it(`${stack}: the program passes every rule of the pack`, async () => {
      expect(checkPolicies(toPolicySubjects(await stackRun(stack)))).to.deep.equal([]);
    });
  }

  it('has a test that breaks every rule', () => {
    expect(Object.keys(BREAKS)).to.have.members(RULES.map((r) => r.name));
  });

  for (const [rule, breakIt] of Object.entries(BREAKS)) {
    const [stack, mutate] = typeof breakIt === 'function' ? (['prod', breakIt] as const) : ([breakIt.stack, breakIt.mutate] as const);
    it(`${rule}: catches a resource that breaks it (${stack})`, async () => {
      const subjects = structuredClone(toPolicySubjects(await stackRun(stack)));
      mutate(subjects);
      const violations = checkPolicies(subjects);
      expect(violations.map((v) => v.rule)).to.deep.equal([rule]);
      expect(violations[0]?.message).to.match(new RegExp(`^svg-marketplace-${stack}-`));
    });
  }

  it('treats values unknown during a preview as no violation', () => {
    const unknownQueue: PolicySubject = { type: 'aws:sqs/queue:Queue', name: 'q', urn: 'urn:q', props: { visibilityTimeoutSeconds: 10 } };
    const mapping: PolicySubject = { type: 'aws:lambda/eventSourceMapping:EventSourceMapping', name: 'm', urn: 'urn:m', props: { functionResponseTypes: ['ReportBatchItemFailures'] } };
    expect(checkPolicies([unknownQueue, mapping])).to.deep.equal([]);
  });
});
