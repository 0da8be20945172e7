/**
 * Account mail in the stacks (issue 14, item 5): with `mailFrom` configured, an SES identity for that address,
 * the API told to send from it (`MAIL_FROM`), and allowed exactly `ses:SendEmail` as that identity. Without it,
 * none of the three.
 */
import { parseEnv } from 'node:util';
import { expect } from 'chai';
import { mockState } from '../../scripts/plan/mocks.ts';
import type { OfflineRun, PlannedResource } from '../../scripts/plan/offline-run.ts';
import { apiEnvFile, customRun, ofType, one, stackRun, TYPES } from './fixture.ts';

const IDENTITY = 'aws:sesv2/emailIdentity:EmailIdentity';
const FROM = 'accounts@marketplace.example';

interface PolicyStatement {
  Sid?: string;
  Action: string[] | string;
  Resource?: string[];
}
const statementsOf = (policy: PlannedResource) => (JSON.parse(String(policy.inputs['policy'])) as { Statement: PolicyStatement[] }).Statement;
const apiPolicy = (run: OfflineRun, stack: string) => (stack === 'prod' ? one(run, TYPES.rolePolicy, '-api-access') : one(run, TYPES.userPolicy, '-host-access'));
const sendingStatements = (run: OfflineRun, stack: string) => statementsOf(apiPolicy(run, stack)).filter((s) => [s.Action].flat().some((a) => a.startsWith('ses:')));

describe('infra: account mail through SES', () => {
  for (const stack of ['dev', 'prod'] as const) {
    it(`${stack}: with mailFrom, an identity for it, MAIL_FROM for the API and ses:SendEmail on exactly that identity`, async () => {
      const run = await customRun(stack, { config: { 'svg-marketplace:mailFrom': FROM } });
      const identities = ofType(run, IDENTITY);
      expect(identities.map((i) => i.inputs['emailIdentity'])).to.deep.equal([FROM]);
      const arn = String(mockState(identities[0]!.type, identities[0]!.name, identities[0]!.inputs, run.region)['arn']);
      expect(sendingStatements(run, stack)).to.deep.equal([{ Sid: 'SendAccountMail', Effect: 'Allow', Action: ['ses:SendEmail'], Resource: [arn] }]);
      const env = parseEnv(apiEnvFile(run));
      expect(env).to.include({ MAIL_FROM: FROM });
      // Mail links to the storefront's own origin: the API refuses MAIL_FROM without one.
      expect(env['PUBLIC_ORIGIN']).to.match(/^https?:\/\//);
    });

    it(`${stack}: without mailFrom, no identity, no MAIL_FROM and no SES permission`, async () => {
      const run = await stackRun(stack);
      expect(ofType(run, IDENTITY)).to.deep.equal([]);
      expect(sendingStatements(run, stack)).to.deep.equal([]);
      expect(Object.keys(parseEnv(apiEnvFile(run)))).to.not.include('MAIL_FROM');
    });
  }
});
