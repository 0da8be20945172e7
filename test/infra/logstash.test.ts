import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { LOGSTASH_PATHS } from '../../infra/components/search.ts';
import { one, stackRun, TYPES } from './fixture.ts';

/** `${NAME}` and `${NAME:default}` references in a Logstash pipeline. */
function referencedVariables(conf: string): { required: string[]; withDefault: string[] } {
  const required = new Set<string>();
  const withDefault = new Set<string>();
  for (const [, name, fallback] of conf.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:[^}]*)?\}/g)) (fallback ? withDefault : required).add(name!);
  return { required: [...required].sort(), withDefault: [...withDefault].sort() };
}

describe('Logstash on the prod stack runs the pipeline app/search ships', () => {
  it('gives the pipeline every variable it reads, secrets fetched at boot', async () => {
    const conf = await readFile(new URL('../../app/search/logstash.conf', import.meta.url), 'utf8');
    const userData = String(one(await stackRun('prod'), TYPES.ec2, '-logstash').inputs['userData']);
    const defined = new Set([
      ...[...userData.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!),
      ...[...userData.matchAll(/^printf '([A-Z_][A-Z0-9_]*)=%s/gm)].map((m) => m[1]!),
    ]);
    const { required } = referencedVariables(conf);
    expect(required).to.include.members(['ES_HOSTS', 'JDBC_DRIVER_JAR', 'JDBC_PASSWORD', 'JDBC_URL']);
    for (const name of required) expect(defined.has(name), `${name} is set for Logstash`).to.equal(true);
    // Secrets come from SSM at boot; none is written into the user data itself.
    expect(userData).to.match(/^printf 'JDBC_PASSWORD=%s\\n' "\$\(aws ssm get-parameter /m);
    expect(userData).to.match(/^printf 'ES_HOSTS=%s\\n' "\$\(aws ssm get-parameter /m);
  });

  it('mounts the driver and the index template where the pipeline looks for them, outside the pipeline folder', async () => {
    const conf = await readFile(new URL('../../app/search/logstash.conf', import.meta.url), 'utf8');
    const userData = String(one(await stackRun('prod'), TYPES.ec2, '-logstash').inputs['userData']);
    expect(conf).to.include(`template => "${LOGSTASH_PATHS.template}"`);
    expect(userData).to.include(`JDBC_DRIVER_JAR=${LOGSTASH_PATHS.driver}`);
    const template = await readFile(new URL('../../app/search/products-template.json', import.meta.url), 'utf8');
    expect(userData).to.include(`cat > /opt/logstash/templates/products-template.json <<'TEMPLATE'\n${template.trimEnd()}\nTEMPLATE`);
    expect(userData).to.match(/-v \/opt\/logstash\/templates:\/usr\/share\/logstash\/templates:ro/);
    expect(LOGSTASH_PATHS.template.startsWith('/usr/share/logstash/pipeline/')).to.equal(false);
    execFileSync('bash', ['-n'], { input: userData }); // the boot script parses
  });
});
