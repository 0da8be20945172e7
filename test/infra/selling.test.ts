/** What selling needs from the stacks: the API may store licensed set ZIPs (and nothing more), and knows the commission. */
import { expect } from 'chai';
import { bucketName, one, stackRun, TYPES } from './fixture.ts';

describe('infra for selling', () => {
  for (const name of ['dev', 'prod'] as const) {
    it(`${name}: the API may write licensed set ZIPs under licensed/ in the downloads bucket: s3:PutObject, and only that statement reaches licensed/`, async () => {
      const stack = await stackRun(name);
      const policy = name === 'prod' ? one(stack, TYPES.rolePolicy, '-api-access') : one(stack, TYPES.userPolicy, '-host-access');
      const statements = (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Sid: string; Action: string[]; Resource: string[] }[] }).Statement;
      expect(statements.filter((s) => s.Sid === 'StoreLicensedSetZips')).to.deep.equal([
        { Sid: 'StoreLicensedSetZips', Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${bucketName(name, 'downloads')}/licensed/*`] },
      ]);
      // No other statement reaches licensed/ (the full list of downloads writes is in api-env.test.ts).
      const writesToLicensed = statements.filter((s) => s.Action.includes('s3:PutObject') && s.Resource.some((r) => r.includes(`${bucketName(name, 'downloads')}/licensed`)));
      expect(writesToLicensed.map((s) => s.Sid)).to.deep.equal(['StoreLicensedSetZips']);
    });
  }
});
