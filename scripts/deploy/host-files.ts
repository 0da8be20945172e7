/**
 * The script that puts secret files on a host: it runs as root under `bash -s`, reading itself
 * from SSH's standard input, so file contents travel only through that pipe (never a command
 * line that `ps` shows). Each file is written to a temporary file beside its target, made
 * root-owned 0600, and moved over the target only when content, mode or owner differ: rerunning
 * changes nothing, and a reader never sees half a file. What reads a changed file is restarted.
 */
import { containerRunArgs, DOCKER_NETWORK, HOST_APPS, RESTART_POLICY } from '../../infra/host-layout.ts';
import { HOST_PGBOUNCER, PGBOUNCER_DOCKERFILE, PGBOUNCER_PORT, pgbouncerCommand } from '../../infra/pgbouncer.ts';
import { HOST_POSTGRES, POSTGRES_ENV_FILE, type DevHostSecrets, type FileReader, type HostFile } from '../../infra/devhost-env.ts';
import { shellQuote } from '../../infra/hosts.ts';
import { dockerCommands } from './docker.ts';

export interface HostFilesOptions {
  /** The API image repository (`apiRepositoryUrl`): the API is recreated on `<repository>:latest`, as the rotation does. */
  apiRepository: string;
  /** The host database to start or re-password, when the host runs one. */
  hostDatabase?: DevHostSecrets['hostDatabase'];
  /** Run PgBouncer (its files are among the written ones): the stack's Lambdas reach the database through it. */
  pgbouncer?: boolean;
  /** A folder every path is placed under (tests); absent on a host. */
  root?: string;
  /** The docker command on the host. @default "docker" */
  docker?: string;
}

/** Lines the script prints, one per file and one per restart, which the deploy reads back. */
export const WRITTEN = 'written';
export const UNCHANGED = 'unchanged';

const PUT = String.raw`put() {
  local target=$1 dir reader
  shift
  dir=$(dirname -- "$target")
  install -d -m 700 -o 0 -g 0 -- "$dir"
  tmp=$(mktemp -- "$dir/.$(basename -- "$target").XXXXXX")
  base64 -d > "$tmp"
  chown 0:0 -- "$tmp"
  chmod 600 -- "$tmp"
  if [[ -f "$target" && ! -L "$target" && "$(stat -c %a:%u:%g -- "$target")" == 600:0:0 ]] && cmp -s -- "$tmp" "$target"; then
    rm -f -- "$tmp"; tmp=
    echo "${UNCHANGED} $target"
    return 0
  fi
  mv -f -- "$tmp" "$target"; tmp=
  echo "${WRITTEN} $target"
  for reader in "$@"; do changed[$reader]=1; done
}`;

/** The bash script for these files; contents are base64 in quoted heredocs, so nothing in them expands. */
export function hostFilesScript(files: HostFile[], options: HostFilesOptions): string {
  const root = options.root ?? '';
  const docker = shellQuote(options.docker ?? 'docker');
  const at = (path: string) => shellQuote(`${root}${path}`);
  const puts = files.map((file) => {
    if (!file.path.startsWith('/')) throw new Error(`host file path must be absolute: ${file.path}`);
    const body = Buffer.from(file.content, 'utf8').toString('base64').replace(/.{1,76}/g, '$&\n');
    return `put ${at(file.path)} ${file.readers.join(' ')} <<'B64'\n${body}B64`;
  });
  const api = HOST_APPS.api.container;
  const [remove, run] = dockerCommands({ type: 'restart' }, { repository: options.apiRepository, container: api, runArgs: containerRunArgs('api') }) as [string[], string[]];
  const argv = (args: string[]) => args.map(shellQuote).join(' ');
  const lines = [
    // One compound command: bash reads all of it from stdin before running any of it, so no
    // command below can swallow the rest of the script, and stdin is then closed for them.
    '{',
    'set -euo pipefail',
    'exec </dev/null',
    'umask 077',
    'tmp=',
    `trap 'if [[ -n "$tmp" ]]; then rm -f -- "$tmp"; fi' EXIT`,
    'declare -A changed=()',
    PUT,
    ...puts,
    // docker reads the env file when it creates the container: a changed file needs a new container.
    `if [[ -n "\${changed[api]:-}" ]]; then`,
    `  if ${docker} container inspect ${api} >/dev/null 2>&1; then`,
    `    ${docker} ${argv(remove)} >/dev/null`,
    `    ${docker} ${argv(run)} >/dev/null`,
    `    echo 'restarted ${api}'`,
    '  else',
    `    echo 'no ${api} container yet: the rotation starts it'`,
    '  fi',
    'fi',
    ...(options.hostDatabase ? hostDatabaseLines(docker, root, options.hostDatabase) : []),
    ...(options.pgbouncer ? pgbouncerLines(docker, root) : []),
    '}',
    '',
  ];
  return lines.join('\n');
}

/**
 * The host database: started on the first run, with its env file; on a later run with a new
 * password, the running server is told (the image reads POSTGRES_PASSWORD only when it creates
 * the database), the statement going through docker's stdin.
 */
function hostDatabaseLines(docker: string, root: string, db: NonNullable<DevHostSecrets['hostDatabase']>): string[] {
  const { container, image, volume, tlsDir } = HOST_POSTGRES;
  const reader: FileReader = 'postgres';
  const run = [
    // On the host's loopback (the deploy's migrations) and the Docker network (the API, PgBouncer) only.
    'run', '--detach', '--name', container, '--restart', RESTART_POLICY, '--network', DOCKER_NETWORK, '--publish', `127.0.0.1:${db.port}:5432`,
    '--volume', `${volume}:/var/lib/postgresql/data`, '--volume', `${tlsDir}:/tls:ro`, '--env-file', `${root}${POSTGRES_ENV_FILE}`,
    image, '-c', 'ssl=on', '-c', 'ssl_cert_file=/tls/server.crt', '-c', 'ssl_key_file=/tls/server.key',
  ];
  // Letters and digits (the schema refuses quotes): the literal needs no escaping beyond this.
  const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
  const identifier = (value: string) => `"${value.replace(/"/g, '""')}"`;
  return [
    `if ! ${docker} container inspect ${container} >/dev/null 2>&1; then`,
    `  ${docker} ${run.map(shellQuote).join(' ')} >/dev/null`,
    // Ready once it answers on TCP: the image's first-start server listens on its socket only.
    `  for attempt in $(seq 60); do ${docker} exec ${container} pg_isready -q -h 127.0.0.1 -U ${shellQuote(db.user)} && break; sleep 2; done`,
    `  echo 'started ${container}'`,
    `elif [[ -n "\${changed[${reader}]:-}" ]]; then`,
    `  ${docker} exec -i ${container} psql -v ON_ERROR_STOP=1 -q -U ${shellQuote(db.user)} -d ${shellQuote(db.name)} <<'SQL'`,
    `ALTER ROLE ${identifier(db.user)} PASSWORD ${literal(db.password)};`,
    'SQL',
    `  echo 'new password set on ${container}'`,
    'fi',
    // A container started before it joined the network (PgBouncer and the API reach it there by name).
    `${docker} network connect ${DOCKER_NETWORK} ${container} >/dev/null 2>&1 || true`,
  ];
}

/**
 * PgBouncer: its image built once on the host from Debian's package, its container started on the first run
 * and restarted when one of its files changed (the container copies them at start).
 */
function pgbouncerLines(docker: string, root: string): string[] {
  const { container, image, configDir, mountDir } = HOST_PGBOUNCER;
  const run = [
    'run', '--detach', '--name', container, '--restart', RESTART_POLICY, '--network', DOCKER_NETWORK,
    '--publish', `${PGBOUNCER_PORT}:${PGBOUNCER_PORT}`, '--volume', `${root}${configDir}:${mountDir}:ro`, image, ...pgbouncerCommand(),
  ];
  const reader: FileReader = 'pgbouncer';
  return [
    `if ! ${docker} image inspect ${shellQuote(image)} >/dev/null 2>&1; then`,
    `  ${docker} build --quiet --tag ${shellQuote(image)} - >/dev/null <<'DOCKERFILE'`,
    PGBOUNCER_DOCKERFILE.trimEnd(),
    'DOCKERFILE',
    `  echo 'built ${image}'`,
    'fi',
    `if ! ${docker} container inspect ${container} >/dev/null 2>&1; then`,
    `  ${docker} ${run.map(shellQuote).join(' ')} >/dev/null`,
    `  echo 'started ${container}'`,
    `elif [[ -n "\${changed[${reader}]:-}" ]]; then`,
    `  ${docker} restart ${container} >/dev/null`,
    `  echo 'restarted ${container}'`,
    'fi',
  ];
}

/** What one run did, read from the script's output. */
export interface HostFilesReport {
  written: string[];
  unchanged: string[];
  /** Every other line (restarts), for the log. */
  notes: string[];
}

export function parseHostFilesOutput(stdout: string, root = ''): HostFilesReport {
  const report: HostFilesReport = { written: [], unchanged: [], notes: [] };
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [word, ...rest] = line.split(' ');
    const path = rest.join(' ');
    const relative = root && path.startsWith(root) ? path.slice(root.length) : path;
    if (word === WRITTEN) report.written.push(relative);
    else if (word === UNCHANGED) report.unchanged.push(relative);
    else report.notes.push(line);
  }
  return report;
}
