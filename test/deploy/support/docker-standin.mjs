#!/usr/bin/env node
// A recording stand-in for the `docker` CLI: appends its argv to $DOCKER_STANDIN_DIR/calls.jsonl and
// answers from a small image/container store in $DOCKER_STANDIN_DIR/daemon.json with docker's own
// messages and exit codes, so the adapter meets the failures it would meet on a host.
// Plain JavaScript on purpose: it starts once per docker call.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const dir = process.env.DOCKER_STANDIN_DIR;
if (!dir) {
  process.stderr.write('docker stand-in: DOCKER_STANDIN_DIR is not set\n');
  process.exit(2);
}
const argv = process.argv.slice(2);
appendFileSync(join(dir, 'calls.jsonl'), `${JSON.stringify(argv)}\n`);

const daemonFile = join(dir, 'daemon.json');
/** @type {{ images: Record<string, string>, containers: Record<string, string>, unpullable: string[] }} */
const daemon = existsSync(daemonFile)
  ? JSON.parse(readFileSync(daemonFile, 'utf8'))
  : { images: {}, containers: {}, unpullable: [] };
const save = () => writeFileSync(daemonFile, JSON.stringify(daemon, null, 2));
const fail = (message, code = 1) => {
  process.stderr.write(`${message}\n`);
  process.exit(code);
};
const imageId = (ref) => `sha256:${createHash('sha256').update(ref).digest('hex')}`;
const flagsWithValue = new Set(['--name', '--restart', '--env-file', '-e', '--env', '-p', '--publish', '--log-driver', '--network']);

const [command, ...rest] = argv;
switch (command) {
  case 'pull': {
    const ref = rest.filter((a) => !a.startsWith('-'))[0];
    if (daemon.unpullable.includes(ref)) fail(`Error response from daemon: manifest for ${ref} not found: manifest unknown: manifest unknown`);
    daemon.images[ref] = imageId(ref);
    save();
    process.stdout.write(`${ref}\n`);
    break;
  }
  case 'tag': {
    const [source, target] = rest;
    const id = daemon.images[source];
    if (!id) fail(`Error response from daemon: No such image: ${source}`);
    daemon.images[target] = id;
    save();
    break;
  }
  case 'rm': {
    const names = rest.filter((a) => !a.startsWith('-'));
    for (const name of names) {
      if (!(name in daemon.containers)) fail(`Error response from daemon: No such container: ${name}`);
      delete daemon.containers[name];
      process.stdout.write(`${name}\n`);
    }
    save();
    break;
  }
  case 'run': {
    let name;
    const positional = [];
    for (let i = 0; i < rest.length; i++) {
      const arg = rest[i];
      if (arg === '--name') name = rest[++i];
      else if (flagsWithValue.has(arg)) i++;
      else if (!arg.startsWith('-')) positional.push(arg);
    }
    const ref = positional[0];
    if (name && name in daemon.containers) {
      fail(`docker: Error response from daemon: Conflict. The container name "/${name}" is already in use.`, 125);
    }
    const id = daemon.images[ref];
    if (!id) fail(`docker: Error response from daemon: pull access denied for ${ref}, repository does not exist.`, 125);
    daemon.containers[name ?? `c${Object.keys(daemon.containers).length}`] = id;
    save();
    process.stdout.write(`${createHash('sha256').update(`${name}${id}`).digest('hex')}\n`);
    break;
  }
  case 'image': {
    if (rest[0] !== 'rm') fail(`docker: 'image ${rest[0]}' is not supported by the stand-in`, 125);
    for (const ref of rest.slice(1).filter((a) => !a.startsWith('-'))) {
      const id = daemon.images[ref];
      if (!id) fail(`Error response from daemon: No such image: ${ref}`);
      const otherTags = Object.entries(daemon.images).filter(([r, i]) => i === id && r !== ref);
      const user = Object.entries(daemon.containers).find(([, i]) => i === id);
      if (user && otherTags.length === 0) {
        fail(`Error response from daemon: conflict: unable to remove repository reference "${ref}" (must force) - container ${user[0]} is using its referenced image ${id.slice(7, 19)}`);
      }
      delete daemon.images[ref];
      process.stdout.write(`Untagged: ${ref}\n`);
    }
    save();
    break;
  }
  default:
    fail(`docker: '${command}' is not a docker command known to the stand-in.`, 125);
}
