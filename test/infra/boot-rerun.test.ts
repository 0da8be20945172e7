/**
 * The API host's boot runs on every boot (a systemd unit the user data installs), so a warm-pool
 * instance that wakes brings its API up and completes the launch hook. These tests run the rendered
 * script's parts in bash against a PATH of recording stand-ins for docker, curl, aws and sleep.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LAUNCH_HOOK_NAME } from '../../infra/components/api.ts';
import { launchReadiness, PER_BOOT_SCRIPT, PER_BOOT_UNIT } from '../../infra/boot-scripts.ts';
import { bootScript, stackRun, writtenFile } from './fixture.ts';

const run = promisify(execFile);

interface Fake {
  dir: string;
  /** Each command's argv, one line per call. */
  calls(): string[];
  done(): void;
}

/** Stand-ins that record their argv; `docker container inspect` and the health curl answer as told. */
function fakePath(behaviour: { containerExists: boolean; healthyAfter: number | 'never' }): Fake {
  const dir = mkdtempSync(join(tmpdir(), 'boot-fake-'));
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/bash\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  stub('docker', `[[ "$1 $2" == "container inspect" ]] && exit ${behaviour.containerExists ? 0 : 1}; exit 0`);
  const healthy = behaviour.healthyAfter === 'never' ? 'exit 22' : `n=$(grep -c '^curl --fail --silent --output /dev/null' ${log}); [[ $n -ge ${behaviour.healthyAfter} ]] || exit 22`;
  stub('curl', `case "$*" in *api/token*) echo token-1;; *meta-data/instance-id*) echo i-0abc;; *) ${healthy};; esac`);
  stub('aws', 'exit 0');
  stub('sleep', 'exit 0');
  return { dir, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean), done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function bash(script: string, fake: Fake): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run('bash', ['-c', `set -euo pipefail\n${script}`], { env: { PATH: `${fake.dir}:/usr/bin:/bin` } });
    return { code: 0, stderr };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

/** The lines of the per-boot script from the API container's start to its health wait. */
function startApiPart(perBoot: string): string {
  const start = perBoot.indexOf('if ! docker container inspect api');
  const end = perBoot.indexOf('\ndone\n', start) + '\ndone\n'.length;
  return perBoot.slice(start, end).replace(/> \/var\/lib\/marketplace\/images\/api\.json/g, '> /dev/null').replace(/\[\[ -e \/var\/lib\/marketplace\/images\/api\.json \]\]/g, 'false');
}

describe('API host boot: safe on every boot, and ready only when the API answers', () => {
  const hook = { autoScalingGroupName: 'svg-marketplace-prod-api', hookName: LAUNCH_HOOK_NAME };

  it('the user data installs the boot as a unit that runs on every boot, and runs it now', async () => {
    const script = bootScript(await stackRun('prod'));
    const unit = writtenFile(script, `/etc/systemd/system/${PER_BOOT_UNIT}`);
    expect(unit.split('\n')).to.include.members(['Type=oneshot', `ExecStart=${PER_BOOT_SCRIPT}`, 'WantedBy=multi-user.target', 'After=network-online.target']);
    expect(script).to.match(new RegExp(`^systemctl enable ${PER_BOOT_UNIT.replace('.', '\\.')}\\nsystemctl start ${PER_BOOT_UNIT.replace('.', '\\.')}$`, 'm'));
    const perBoot = writtenFile(script, PER_BOOT_SCRIPT);
    expect(perBoot).to.contain(launchReadiness('us-east-1', hook));
  });

  it('first boot: pulls by digest, tags, runs the container', async () => {
    const perBoot = writtenFile(bootScript(await stackRun('prod')), PER_BOOT_SCRIPT);
    const fake = fakePath({ containerExists: false, healthyAfter: 1 });
    try {
      expect((await bash(startApiPart(perBoot), fake)).code).to.equal(0);
      const docker = fake.calls().filter((c) => c.startsWith('docker '));
      const repository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/svg-marketplace-prod-api';
      const pinned = /^docker pull --quiet (\S+@sha256:[0-9a-f]{64})$/.exec(docker[1] ?? '')?.[1];
      expect(pinned?.startsWith(`${repository}@sha256:`), docker.join('\n')).to.equal(true);
      expect(docker.slice(0, 4)).to.deep.equal(['docker container inspect api', `docker pull --quiet ${pinned}`, `docker tag ${pinned} ${repository}:offline-plan`, `docker tag ${pinned} ${repository}:latest`]);
      expect(docker[4]).to.match(/^docker run --detach --name api --restart unless-stopped /);
      expect(docker).to.have.length(5);
    } finally {
      fake.done();
    }
  });

  it('a later boot leaves the existing container (and the image the rotation put there) alone', async () => {
    const perBoot = writtenFile(bootScript(await stackRun('prod')), PER_BOOT_SCRIPT);
    const fake = fakePath({ containerExists: true, healthyAfter: 1 });
    try {
      expect((await bash(startApiPart(perBoot), fake)).code).to.equal(0);
      expect(fake.calls().filter((c) => c.startsWith('docker '))).to.deep.equal(['docker container inspect api']);
    } finally {
      fake.done();
    }
  });

  it('completes the launch hook with CONTINUE once the API answers through Nginx', async () => {
    const fake = fakePath({ containerExists: true, healthyAfter: 3 });
    try {
      expect((await bash(launchReadiness('us-east-1', hook), fake)).code).to.equal(0);
      const calls = fake.calls();
      expect(calls.filter((c) => c === 'curl --fail --silent --output /dev/null http://127.0.0.1/api/health')).to.have.length(3);
      expect(calls.filter((c) => c.startsWith('aws '))).to.deep.equal([
        'aws autoscaling complete-lifecycle-action --region us-east-1 --auto-scaling-group-name svg-marketplace-prod-api --lifecycle-hook-name api-ready --instance-id i-0abc --lifecycle-action-result CONTINUE',
      ]);
    } finally {
      fake.done();
    }
  });

  it('never completes the hook when the API does not answer: the group abandons the instance', async () => {
    const fake = fakePath({ containerExists: true, healthyAfter: 'never' });
    try {
      const result = await bash(launchReadiness('us-east-1', hook), fake);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain('leaving the launch hook to abandon this instance');
      expect(fake.calls().filter((c) => c.startsWith('aws '))).to.deep.equal([]);
    } finally {
      fake.done();
    }
  });

  it('the group holds launching and waking instances on that hook, and the instance may complete exactly it', async () => {
    const prod = await stackRun('prod');
    const asg = prod.resources.find((r) => r.type === 'aws:autoscaling/group:Group')!;
    expect(asg.inputs['initialLifecycleHooks']).to.deep.equal([{ name: 'api-ready', lifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING', defaultResult: 'ABANDON', heartbeatTimeout: 600 }]);
    const policy = prod.resources.find((r) => r.type === 'aws:iam/rolePolicy:RolePolicy' && r.name.endsWith('-api-access'))!;
    const statement = (JSON.parse(String(policy.inputs['policy'])) as { Statement: { Sid: string }[] }).Statement.find((s) => s.Sid === 'CompleteLaunchHook');
    expect(statement).to.deep.equal({
      Sid: 'CompleteLaunchHook',
      Effect: 'Allow',
      Action: ['autoscaling:CompleteLifecycleAction'],
      Resource: ['arn:aws:autoscaling:us-east-1:*:autoScalingGroup:*:autoScalingGroupName/svg-marketplace-prod-api'],
    });
  });
});
