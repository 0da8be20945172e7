import { Command, InvalidArgumentError, Option } from 'commander';
import { containerRunArgs, HOST_APP_NAMES, HOST_APPS, IMAGE_STATE_DIR, isHostApp, localHealthUrl, type HostAppName } from '../../infra/host-layout.ts';
import { DEFAULT_HEALTH_CHECK } from './health.ts';
import { deployImage, rollbackImage, type HostApp } from './host.ts';
import { parseTag } from './rotation.ts';
import { readHostImages } from './state.ts';

/**
 * `npm run deploy -- <command>`: the rotation the hosts run (over SSM from the deploy workflow, or by hand).
 * Container name, `docker run` arguments, health URL and record folder default to the host layout
 * (`infra/host-layout.ts`) the boot scripts use, so the workflows name only the app, repository and tag.
 * Exit code 1 when the new image did not become healthy (even if the rollback worked) or a rollback had no target,
 * so the calling workflow fails loudly.
 */

const positiveInteger = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
};
const tagArgument = (value: string): string => {
  try {
    return parseTag(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};
const collect = (value: string, previous: string[]): string[] => [...previous, value];

const appArgument = (value: string): HostAppName => {
  if (!isHostApp(value)) throw new InvalidArgumentError(`expected one of ${HOST_APP_NAMES.join(', ')}, got "${value}"`);
  return value;
};

interface AppFlags {
  app: HostAppName;
  repository: string;
  container?: string;
  stateDir: string;
  runArg: string[];
}

function appOptions(command: Command): Command {
  return command
    .requiredOption('--app <name>', `app (${HOST_APP_NAMES.join(', ')}): names the container, its run arguments and the image record`, appArgument)
    .requiredOption('--repository <uri>', 'image repository without tag (ECR URI)')
    .option('--container <name>', 'container name (default: the layout\'s, i.e. the app name)')
    .option('--state-dir <dir>', 'where the image records live', IMAGE_STATE_DIR)
    .option('--run-arg <arg>', 'docker run argument added after the layout\'s (network, env file, port), repeatable', collect, []);
}

export function hostApp(flags: AppFlags): HostApp {
  return {
    repository: flags.repository,
    container: flags.container ?? HOST_APPS[flags.app].container,
    runArgs: [...containerRunArgs(flags.app), ...flags.runArg],
    stateFile: `${flags.stateDir}/${flags.app}.json`,
  };
}

export function buildDeployProgram(print: (line: string) => void = console.log): Command {
  const program = new Command('deploy').description('Image rotation and rollback on a host: three images per app.');

  appOptions(program.command('image'))
    .description('pull a commit image, run it as latest, check health, roll back by itself on failure')
    .requiredOption('--tag <tag>', 'image tag (the commit SHA)', tagArgument)
    .option('--health-url <url>', 'URL that answers 2xx when the app is up (default: the layout\'s, on 127.0.0.1)')
    .addOption(new Option('--health-attempts <n>', 'health check attempts').default(DEFAULT_HEALTH_CHECK.attempts).argParser(positiveInteger))
    .addOption(new Option('--health-interval-ms <ms>', 'pause between attempts').default(DEFAULT_HEALTH_CHECK.intervalMs).argParser(positiveInteger))
    .action(async (flags: AppFlags & { tag: string; healthUrl?: string; healthAttempts: number; healthIntervalMs: number }) => {
      const outcome = await deployImage(hostApp(flags), flags.tag, {
        url: new URL(flags.healthUrl ?? localHealthUrl(flags.app)).toString(),
        attempts: flags.healthAttempts,
        intervalMs: flags.healthIntervalMs,
        timeoutMs: DEFAULT_HEALTH_CHECK.timeoutMs,
      });
      for (const step of outcome.steps) print(`${flags.app}: ${step.message}`);
      if (!outcome.ok) {
        print(`${flags.app}: health check failed after ${outcome.health.attempts} attempts (${outcome.health.last}); now running ${outcome.state.running ?? 'nothing'}`);
        process.exitCode = 1;
      }
    });

  appOptions(program.command('rollback'))
    .description('move back to the last good image and say which')
    .action(async (flags: AppFlags) => {
      const result = await rollbackImage(hostApp(flags));
      print(`${flags.app}: ${result.message}`);
      if (result.failed) process.exitCode = 1;
    });

  program
    .command('status')
    .description('print the image record of an app')
    .requiredOption('--app <name>', 'app name', appArgument)
    .option('--state-dir <dir>', 'where the image records live', IMAGE_STATE_DIR)
    .action(async (flags: { app: HostAppName; stateDir: string }) => {
      const state = await readHostImages(`${flags.stateDir}/${flags.app}.json`);
      print(JSON.stringify(state, null, 2));
    });

  return program;
}
