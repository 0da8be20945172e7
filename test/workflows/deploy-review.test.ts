import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { readWorkflow } from './checks.ts';
import { stepsThatRun } from './run-steps.ts';

/**
 * Hostile review 3 (REVIEW3.md, finding 3): `pulumi up` writes every component's new password to its SSM
 * parameter on a rotation (`databaseLoginRotation`); until the logins step gives the database the same
 * passwords, every component that reads its parameter is refused by PostgreSQL. The deploy's steps, run
 * with GitHub's expression evaluator against the failures a deploy meets.
 */
describe('deploy: a failed step never leaves the database behind the password parameters (hostile review 3)', () => {
  const steps = readWorkflow(readFileSync('.github/workflows/deploy.yml', 'utf8')).jobs['deploy']!.steps!;
  const LOGINS = 'Database logins per component (each with the password in its parameter)';
  const redeploy = { outputs: { stack: { 'previous-tag': 'abc123' } } };

  it('a deploy where nothing fails runs the logins step once, before the rotation', () => {
    const ran = stepsThatRun(steps, { failing: [], ...redeploy });
    expect(ran.filter((name) => name === LOGINS)).to.have.length(1);
    expect(ran.indexOf(LOGINS)).to.be.lessThan(ran.findIndex((name) => name.startsWith('Rotate the images')));
  });

  it('pulumi up failing after it wrote the parameters (an image build, a quota) still sets the logins', () => {
    expect(stepsThatRun(steps, { failing: [/"command":"up"/], ...redeploy })).to.include(LOGINS);
  });

  it('the dev host’s secrets step failing (SSH, a full disk) still sets the logins', () => {
    expect(stepsThatRun(steps, { failing: [/on-hosts\.sh \\"\$STACK\\" secrets/], ...redeploy })).to.include(LOGINS);
  });

  it('nothing before pulumi up ran (npm ci failed): no logins step, nothing was written', () => {
    expect(stepsThatRun(steps, { failing: [/npm ci/], ...redeploy })).to.not.include(LOGINS);
  });

  it('a first deploy whose migrations failed does not try the logins (their groups do not exist yet)', () => {
    expect(stepsThatRun(steps, { failing: [/Migrations of a first deploy/], outputs: { stack: { 'previous-tag': '' } } })).to.not.include(LOGINS);
  });
});
