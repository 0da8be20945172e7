import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_HEALTH_CHECK } from './health.ts';
import { deployImage, rollbackImage, type HostApp } from './host.ts';
import { parseTag } from './rotation.ts';
import { readHostImages } from './state.ts';

/**
 * `npm run deploy -- <command>`: the rotation the hosts run (over SSM from the deploy workflow, or by hand).
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

interface AppFlags {
  app: string;
  repository: string;
  container?: string;
  stateDir: string;
  runArg: string[];
}

function appOptions(command: Command): Command {
  return command
    .requiredOption('--app <name>', 'app name (api, web): names the container and the image record')
    .requiredOption('--repository <uri>', 'image repository without tag (ECR URI)')
    .option('--container <name>', 'container name (default: the app name)')
    .option('--state-dir <dir>', 'where the image records live', '/var/lib/marketplace/images')
    .option('--run-arg <arg>', 'extra docker run argument, repeatable (e.g. --run-arg=--env-file=/etc/marketplace/api.env)', collect, []);
}

function hostApp(flags: AppFlags): HostApp {
  if (!/^[a-z][a-z0-9-]*$/.test(flags.app)) throw new InvalidArgumentError(`--app must be lower-case letters, digits and -, got "${flags.app}"`);
  return {
    repository: flags.repository,
    container: flags.container ?? flags.app,
    runArgs: flags.runArg,
    stateFile: `${flags.stateDir}/${flags.app}.json`,
  };
}

export function buildDeployProgram(print: (line: string) => void = console.log): Command {
  const program = new Command('deploy').description('Image rotation and rollback on a host: three images per app.');

  appOptions(program.command('image'))
    .description('pull a commit image, run it as latest, check health, roll back by itself on failure')
    .requiredOption('--tag <tag>', 'image tag (the commit SHA)', tagArgument)
    .requiredOption('--health-url <url>', 'URL that answers 2xx when the app is up')
    .addOption(new Option('--health-attempts <n>', 'health check attempts').default(DEFAULT_HEALTH_CHECK.attempts).argParser(positiveInteger))
    .addOption(new Option('--health-interval-ms <ms>', 'pause between attempts').default(DEFAULT_HEALTH_CHECK.intervalMs).argParser(positiveInteger))
    .action(async (flags: AppFlags & { tag: string; healthUrl: string; healthAttempts: number; healthIntervalMs: number }) => {
      const outcome = await deployImage(hostApp(flags), flags.tag, {
        url: new URL(flags.healthUrl).toString(),
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
    .requiredOption('--app <name>', 'app name')
    .option('--state-dir <dir>', 'where the image records live', '/var/lib/marketplace/images')
    .action(async (flags: { app: string; stateDir: string }) => {
      const state = await readHostImages(`${flags.stateDir}/${flags.app}.json`);
      print(JSON.stringify(state, null, 2));
    });

  return program;
}
