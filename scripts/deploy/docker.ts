import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MOVING_TAG, RESTART_POLICY } from '../../infra/host-layout.ts';
import type { RotationAction } from './rotation.ts';

const run = promisify(execFile);

/** How the app runs on the host; the same for every image of that app. */
export interface DockerAppOptions {
  /** Image repository without a tag, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/marketplace-prod-api`. */
  repository: string;
  /** Name of the one container that serves the app. */
  container: string;
  /** Extra `docker run` arguments (ports, env file, log driver), placed before the image. */
  runArgs: readonly string[];
  /** The docker executable, looked up on PATH unless a path is given. */
  dockerBin?: string;
}

export class DockerCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | string | undefined,
  ) {
    super(`docker ${argv.join(' ')} failed (${exitCode ?? 'no exit code'}): ${stderr.trim() || 'no output'}`);
    this.name = 'DockerCommandError';
  }
}

/** Runs one docker command; stdout on success, DockerCommandError otherwise. */
export async function docker(argv: readonly string[], dockerBin = 'docker'): Promise<string> {
  try {
    const { stdout } = await run(dockerBin, [...argv], { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string; code?: number | string };
    throw new DockerCommandError(argv, failure.stderr ?? failure.message, failure.code);
  }
}

/** The docker argv lists that carry out one rotation action, in order. */
export function dockerCommands(action: RotationAction, app: DockerAppOptions): string[][] {
  const image = (tag: string) => `${app.repository}:${tag}`;
  switch (action.type) {
    case 'pull':
      return [['pull', '--quiet', image(action.tag)]];
    case 'tag-latest':
      return [['tag', image(action.tag), image(MOVING_TAG)]];
    case 'restart':
      // Recreate rather than `docker restart`: a restarted container keeps its old image.
      return [
        ['rm', '--force', app.container],
        // The same command as the boot script's (`infra/boot-scripts.ts`), from the same layout.
        ['run', '--detach', '--name', app.container, '--restart', RESTART_POLICY, ...app.runArgs, image(MOVING_TAG)],
      ];
    case 'remove':
      return [['image', 'rm', image(action.tag)]];
  }
}

/** Carries the actions out in order and stops at the first failure, so a broken pull never removes anything. */
export async function applyActions(actions: readonly RotationAction[], app: DockerAppOptions): Promise<void> {
  for (const action of actions) {
    for (const argv of dockerCommands(action, app)) {
      try {
        await docker(argv, app.dockerBin);
      } catch (error) {
        // First deploy on a fresh host: there is no container to remove yet.
        if (argv[0] === 'rm' && error instanceof DockerCommandError && /no such container/i.test(error.stderr)) continue;
        throw error;
      }
    }
  }
}
