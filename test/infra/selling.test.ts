/**
 * What selling needs from the stacks: no per-buyer copies of set ZIPs (LICENSE.txt is served beside the one
 * shared ZIP), so the API may not write under licensed/, and copies left from before expire.
 */
import { expect } from 'chai';
import { bucketName, one, stackRun, TYPES } from './fixture.ts';

describe('infra for selling', () => {
  for (const name of ['dev', 'prod'] as const) {
    it(`${name}: no statement lets the API write under licensed/ in the downloads bucket, and the bucket expires what is left there`, async () => {
      const stack = await stackRun(name);
      const policy = name === 'prod' ? one(stack, TYPES.rolePolicy, '-api-access') : one(stack, TYPES.userPolicy, '-host-access');
      const statements = (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Sid: string; Action: string[]; Resource: string[] }[] }).Statement;
      const downloads = `arn:aws:s3:::${bucketName(name, 'downloads')}`;
      const writesToLicensed = statements.filter(
        (s) => s.Action.some((a) => a.startsWith('s3:Put') || a === 's3:*') && s.Resource.some((r) => r === `${downloads}/*` || r.startsWith(`${downloads}/licensed`)),
      );
      expect(writesToLicensed.map((s) => s.Sid)).to.deep.equal([]);
      const rules = one(stack, TYPES.lifecycle, '-downloads-lifecycle').inputs['rules'] as { id: string }[];
      expect(rules.find((r) => r.id === 'expire-licensed-set-zips')).to.deep.equal({ id: 'expire-licensed-set-zips', status: 'Enabled', filter: { prefix: 'licensed/' }, expiration: { days: 1 } });
    });
  }
});
