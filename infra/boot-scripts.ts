/**
 * The boot scripts (user data) of the app hosts, as pure functions of plain values so tests can
 * render and read them. Every name, port and path comes from `host-layout.ts`, which the deploy
 * tooling reads too: the containers started here are the ones `rotate.mjs` later replaces.
 */
import {
  BUNDLE_DIR,
  CONFIG_DIR,
  containerRunArgs,
  DOCKER_NETWORK,
  envFileContent,
  HOST_APPS,
  HOST_NODE_PACKAGE,
  IMAGE_STATE_DIR,
  listenEnv,
  localHealthUrl,
  MOVING_TAG,
  RESTART_POLICY,
  type HostAppName,
} from './host-layout.ts';
import { HOST_NGINX, hostNginxConfig, TRUST_PROXY, type HostNginxArgs } from './host-nginx.ts';
import { HOST_POSTGRES } from './devhost-env.ts';
import { shellQuote } from './hosts.ts';

/**
 * Express `trust proxy`: Nginx reaches the containers through the Docker network's gateway and,
 * in prod, the ALB through a private address; the client's address is the first one past them.
 * Nginx believes the same ranges (`host-nginx.ts`).
 */
const TRUSTED_PROXIES = TRUST_PROXY;

/** Health polls at boot before the image is recorded as good: 60 × 2 s covers a cold Next.js start. */
const BOOT_HEALTH_ATTEMPTS = 60;
const BOOT_HEALTH_INTERVAL_SECONDS = 2;

export interface HostImage {
  /** Repository URL without tag. */
  repository: string;
  /** The commit tag the stack config names (`imageTag`). */
  tag: string;
  /** The content digest (`sha256:…`) the program's build pushed under that tag: what the host pulls. */
  digest: string;
}

/** Packages, Docker with the ECR credential helper (tokens never expire mid-deploy), the network and folders. */
function prelude(registryHost: string): string {
  return `#!/bin/bash
set -euo pipefail
umask 077
dnf install -y docker nginx amazon-ecr-credential-helper ${HOST_NODE_PACKAGE}
systemctl enable --now docker
mkdir -p /root/.docker
cat > /root/.docker/config.json <<'JSON'
${JSON.stringify({ credHelpers: { [registryHost]: 'ecr-login' } })}
JSON
install -d -m 700 ${CONFIG_DIR} ${IMAGE_STATE_DIR}
install -d -m 755 ${BUNDLE_DIR}
docker network inspect ${DOCKER_NETWORK} >/dev/null 2>&1 || docker network create ${DOCKER_NETWORK}
`;
}

/** A literal heredoc: the values were checked by `envFileContent`, nothing in them expands. */
function writeFile(path: string, content: string, marker = 'EOF'): string {
  return `cat > ${path} <<'${marker}'\n${content}${content.endsWith('\n') ? '' : '\n'}${marker}\n`;
}

/**
 * Start an app exactly as the rotation does (`scripts/deploy/docker.ts`): tag the commit image as
 * `latest`, run `latest` with the layout's arguments, and record the image as good once it
 * answers its health URL, so the first deploy after boot has something to roll back to.
 */
function startApp(app: HostAppName, image: HostImage): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(image.digest)) throw new Error(`${app} image digest must be sha256:<64 hex>, got ${JSON.stringify(image.digest)}`);
  // Pulled by digest (the exact build this stack pushed), then tagged with its commit for the rotation.
  const pinned = `${image.repository}@${image.digest}`;
  const ref = `${image.repository}:${image.tag}`;
  const latest = `${image.repository}:${MOVING_TAG}`;
  const record = JSON.stringify({ images: [{ tag: image.tag, status: 'good' }], running: image.tag });
  const state = `${IMAGE_STATE_DIR}/${app}.json`;
  return [
    // On a later boot the container exists (its restart policy brings it back, on whatever image the
    // rotation last moved it to): leave it, and the rotation's record, alone.
    `if ! docker container inspect ${HOST_APPS[app].container} >/dev/null 2>&1; then`,
    `docker pull --quiet ${shellQuote(pinned)}`,
    `docker tag ${shellQuote(pinned)} ${shellQuote(ref)}`,
    `docker tag ${shellQuote(pinned)} ${shellQuote(latest)}`,
    `docker run --detach --name ${HOST_APPS[app].container} --restart ${RESTART_POLICY} ${containerRunArgs(app).map(shellQuote).join(' ')} ${shellQuote(latest)}`,
    'fi',
    `for attempt in $(seq ${BOOT_HEALTH_ATTEMPTS}); do`,
    `  if curl --fail --silent --output /dev/null ${shellQuote(localHealthUrl(app))}; then`,
    `    [[ -e ${state} ]] || echo ${shellQuote(record)} > ${state}; break`,
    '  fi',
    `  sleep ${BOOT_HEALTH_INTERVAL_SECONDS}`,
    'done',
    '',
  ].join('\n');
}

/**
 * The rendered template (`app/nginx`) replaces the package's nginx.conf, checked before it is (re)loaded.
 * Safe to rerun: the same file, the same folders, a reload of a running server.
 */
function nginxSetup(args: HostNginxArgs): string {
  const { prefix, user } = HOST_NGINX;
  return [
    `install -d -m 755 ${prefix}`,
    `install -d -m 700 -o ${user} -g ${user} ${prefix}/tmp ${prefix}/cache`,
    writeFile(HOST_NGINX.config, hostNginxConfig(args), 'NGINX'),
    `nginx -t -q -c ${HOST_NGINX.config}`,
    'systemctl enable --now nginx',
    'systemctl reload nginx',
    '',
  ].join('\n');
}

export interface DevHostBootArgs {
  /** The ECR registry host (`<account>.dkr.ecr.<region>.amazonaws.com`): pulls go through the credential helper. */
  registryHost: string;
  /** Whether the host runs PostgreSQL itself (`devDatabase: host`): the boot makes its TLS certificate. */
  hostDatabase: boolean;
  /** Origins the storefront's pages load images from (the assets CDN) and send requests to (the uploads bucket): its CSP. */
  pageOrigins: { images: string[]; connect: string[] };
}

/**
 * Dev and pr-<n>: packages, Docker, folders, the storefront's env file (nothing secret) and Nginx on
 * :80. No secret travels here: Lightsail shows user data to anyone who may read the instance and it
 * can never change (a change replaces the host). The deploy writes the AWS key, the API's env file
 * and the host database's password over SSH (`scripts/deploy/host-secrets.ts`), then the rotation
 * starts the containers: until the key is there the host cannot pull from ECR anyway.
 */
export function devHostBootScript(args: DevHostBootArgs): string {
  // PgBouncer's server_tls_sslmode=require needs TLS but not a CA: a self-signed certificate made on the host is
  // enough. The API and the deploy's migrations connect with sslmode=disable (on the host only; infra/components/database.ts).
  // The container itself is started by the deploy, with the password it writes (infra/devhost-env.ts).
  const { tlsDir } = HOST_POSTGRES;
  const postgres = args.hostDatabase
    ? [
        `if [[ ! -e ${tlsDir}/server.key ]]; then`,
        `install -d -m 755 ${tlsDir}`,
        `openssl req -new -x509 -days 3650 -nodes -subj "/CN=dev-db" -keyout ${tlsDir}/server.key -out ${tlsDir}/server.crt`,
        `chown 999:999 ${tlsDir}/server.* && chmod 600 ${tlsDir}/server.key`,
        'fi',
        '',
      ].join('\n')
    : '';
  return [
    prelude(args.registryHost),
    writeFile(HOST_APPS.web.envFile, envFileContent({ ...listenEnv('web'), NODE_ENV: 'production' })),
    postgres,
    nginxSetup({ shape: 'dev', imageOrigins: args.pageOrigins.images, connectOrigins: args.pageOrigins.connect }),
    '',
  ].join('\n');
}

/** Where the per-boot script and its unit live on an API instance. */
export const PER_BOOT_SCRIPT = '/usr/local/sbin/marketplace-boot';
export const PER_BOOT_UNIT = 'marketplace-boot.service';
/** Polls of the API through Nginx before the instance tells its group it is ready: 90 × 2 s. */
const READY_ATTEMPTS = 90;

export interface LaunchHook {
  autoScalingGroupName: string;
  hookName: string;
}

/**
 * The end of every boot of an API instance: once the API answers through Nginx (the path the load
 * balancer checks), complete the group's launch hook so the instance enters service (or the warm
 * pool). An instance whose API never answers exits non-zero and leaves the hook to time out, and
 * the group abandons it. A boot with no pending hook (a plain reboot) gets an error from the call,
 * which is ignored.
 */
export function launchReadiness(region: string, hook: LaunchHook): string {
  const url = `http://127.0.0.1${HOST_APPS.api.healthPath}`;
  return [
    'ready=0',
    `for attempt in $(seq ${READY_ATTEMPTS}); do`,
    `  if curl --fail --silent --output /dev/null ${shellQuote(url)}; then ready=1; break; fi`,
    `  sleep ${BOOT_HEALTH_INTERVAL_SECONDS}`,
    'done',
    `[[ "$ready" == 1 ]] || { echo "the API did not answer on ${url}: leaving the launch hook to abandon this instance" >&2; exit 1; }`,
    "imds_token=$(curl --fail --silent --request PUT --header 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)",
    'instance_id=$(curl --fail --silent --header "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/instance-id)',
    `aws autoscaling complete-lifecycle-action --region ${shellQuote(region)} --auto-scaling-group-name ${shellQuote(hook.autoScalingGroupName)} --lifecycle-hook-name ${shellQuote(hook.hookName)} --instance-id "$instance_id" --lifecycle-action-result CONTINUE || echo "no launch hook pending (a reboot)"`,
    '',
  ].join('\n');
}

export interface ApiHostBootArgs {
  region: string;
  api: HostImage;
  /**
   * Secret variables (DATABASE_URL, ELASTICSEARCH_URL, ...) → the SecureString parameter holding
   * each: they reach the instance encrypted, never through user data.
   */
  secretParameters: Record<string, string>;
  /** The API's settings that are not secret. */
  apiEnv: Record<string, string>;
  /** The Auto Scaling group's launch hook the boot completes once the API answers. */
  launchHook: LaunchHook;
}

/**
 * Prod API instances: the API container behind Nginx on :80 for the load balancer. The user data
 * installs the boot as a systemd unit that runs on every boot, not only the first: a warm-pool
 * instance is launched (and booted) once, stopped, and started again when it is needed, and each
 * start must bring the API up, refresh its secrets and complete the launch hook.
 */
export function apiHostBootScript(args: ApiHostBootArgs): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    writeFile(PER_BOOT_SCRIPT, apiHostPerBootScript(args), 'BOOT'),
    `chmod 700 ${PER_BOOT_SCRIPT}`,
    writeFile(
      `/etc/systemd/system/${PER_BOOT_UNIT}`,
      [
        '[Unit]',
        'Description=Marketplace API host: containers, Nginx, launch hook',
        'Wants=network-online.target',
        'After=network-online.target',
        '[Service]',
        'Type=oneshot',
        `ExecStart=${PER_BOOT_SCRIPT}`,
        'RemainAfterExit=yes',
        `TimeoutStartSec=${LAUNCH_HOOK_START_LIMIT_SECONDS}`,
        '[Install]',
        'WantedBy=multi-user.target',
      ].join('\n'),
      'UNIT',
    ),
    'systemctl daemon-reload',
    `systemctl enable ${PER_BOOT_UNIT}`,
    // This first boot too, before cloud-init reports done (on-hosts.sh waits for that).
    `systemctl start ${PER_BOOT_UNIT}`,
    '',
  ].join('\n');
}

/** Within the group's hook timeout, with room for package installs. */
const LAUNCH_HOOK_START_LIMIT_SECONDS = 900;

/** What the unit runs on every boot; safe to rerun (see `startApp`). */
export function apiHostPerBootScript(args: ApiHostBootArgs): string {
  const registryHost = args.api.repository.split('/')[0] ?? '';
  const envFile = HOST_APPS.api.envFile;
  return [
    prelude(registryHost),
    writeFile(envFile, envFileContent({ ...listenEnv('api'), AWS_REGION: args.region, ...args.apiEnv, TRUST_PROXY: TRUSTED_PROXIES })),
    ...Object.entries(args.secretParameters).map(([variable, parameter]) => {
      envFileContent({ [variable]: '' }); // checks the name
      return `printf '${variable}=%s\\n' "$(aws ssm get-parameter --region ${args.region} --with-decryption --name ${shellQuote(parameter)} --query Parameter.Value --output text)" >> ${envFile}`;
    }),
    startApp('api', args.api),
    nginxSetup({ shape: 'prod', ...(args.apiEnv['CLIENT_ADDRESS_HEADER'] ? { clientAddressHeader: args.apiEnv['CLIENT_ADDRESS_HEADER'] } : {}) }),
    launchReadiness(args.region, args.launchHook),
  ].join('\n');
}
