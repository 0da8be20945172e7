/**
 * How an app host is laid out: the one place the boot scripts (`infra/boot-scripts.ts`) and the
 * deploy tooling (`scripts/deploy/`, bundled into `rotate.mjs`) read container names, ports,
 * paths and health URLs from, so a container started at boot and one restarted by the rotation
 * are the same container. No Pulumi imports: this module is bundled onto the hosts.
 */

/** Who the deploy logs in as on the dev host (the Amazon Linux 2023 default user). */
export const SSH_USER = 'ec2-user';

/** Where the host bundles (`rotate.mjs`, `migrate.mjs`) are copied before they run. */
export const BUNDLE_DIR = '/opt/marketplace';
/** Root-only configuration the boot script writes: the apps' env files. */
export const CONFIG_DIR = '/etc/marketplace';
/** The rotation's record of images per app (`<app>.json`). */
export const IMAGE_STATE_DIR = '/var/lib/marketplace/images';

/**
 * Node for the host bundles: AL2023 packages each major as `nodejs<N>` with the binary
 * `/usr/bin/node-<N>`; calling it by that name keeps the version whatever `alternatives` says.
 */
export const HOST_NODE_PACKAGE = 'nodejs22';
export const HOST_NODE = '/usr/bin/node-22';

/**
 * Docker tag rules (1–128 of A-Z a-z 0-9 _ . -, not starting with . or -). Hosts run commit tags;
 * `latest` is the host-local tag the rotation moves, never pushed, so never asked for by a stack.
 */
export const IMAGE_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
export const MOVING_TAG = 'latest';

/** The user-defined Docker network: containers reach each other by container name. */
export const DOCKER_NETWORK = 'marketplace';
/** Same policy at boot and on every rotation: a reboot brings the running app back. */
export const RESTART_POLICY = 'unless-stopped';

export interface HostAppLayout {
  /** Container name, also its name on the Docker network. */
  container: string;
  /** Port the app listens on inside its container (its Dockerfile EXPOSEs it). */
  containerPort: number;
  /** Port published on the host's loopback, where Nginx and the health checks reach it. */
  hostPort: number;
  /** Path that answers 2xx once the app serves requests (its Dockerfile HEALTHCHECK uses it). */
  healthPath: string;
  /** The app's environment, written by the boot script, read by `docker run --env-file`. */
  envFile: string;
}

export const HOST_APPS = {
  api: { container: 'api', containerPort: 3001, hostPort: 3001, healthPath: '/api/health', envFile: `${CONFIG_DIR}/api.env` },
  web: { container: 'web', containerPort: 3000, hostPort: 3000, healthPath: '/healthz', envFile: `${CONFIG_DIR}/web.env` },
} as const satisfies Record<string, HostAppLayout>;

export type HostAppName = keyof typeof HOST_APPS;
export const HOST_APP_NAMES = Object.keys(HOST_APPS) as HostAppName[];

/** Dev hosts run the storefront and the API; prod hosts only the API (the storefront runs on Lightsail containers). */
export function hostAppsFor(shape: 'dev' | 'prod'): HostAppName[] {
  return shape === 'prod' ? ['api'] : ['api', 'web'];
}

export function isHostApp(name: string): name is HostAppName {
  return Object.hasOwn(HOST_APPS, name);
}

/** `docker run` arguments between `--restart` and the image; the boot script and the rotation both use them. */
export function containerRunArgs(app: HostAppName): string[] {
  const { envFile, hostPort, containerPort } = HOST_APPS[app];
  return ['--network', DOCKER_NETWORK, '--env-file', envFile, '--publish', `127.0.0.1:${hostPort}:${containerPort}`];
}

/** The URL the rotation polls on the host after starting a new image. */
export function localHealthUrl(app: HostAppName): string {
  return `http://127.0.0.1:${HOST_APPS[app].hostPort}${HOST_APPS[app].healthPath}`;
}

/** The environment the app gets beside its own settings: where to listen, and for web where the API is. */
export function listenEnv(app: HostAppName): Record<string, string> {
  const { containerPort } = HOST_APPS[app];
  return app === 'api'
    ? { PORT: String(containerPort), HOST: '0.0.0.0' }
    : { PORT: String(containerPort), HOSTNAME: '0.0.0.0', API_INTERNAL_URL: `http://${HOST_APPS.api.container}:${HOST_APPS.api.containerPort}` };
}

/**
 * Values an env file can hold so that Docker (`--env-file`, literal), Node (`--env-file`, which
 * treats quotes and `#` specially) and a shell read the same thing: no quotes, `#`, `$`,
 * backslashes or whitespace. Percent-encoded URLs, ARNs, bucket names and AWS keys fit.
 */
const ENV_VALUE = /^[A-Za-z0-9_.:/@%+=,?&!()*~-]*$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** `NAME=value` lines; throws on a value the three readers would not read alike. */
export function envFileContent(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => {
      if (!ENV_NAME.test(name)) throw new TypeError(`env file: invalid variable name ${JSON.stringify(name)}`);
      if (!ENV_VALUE.test(value)) throw new TypeError(`env file: ${name} holds characters Docker and Node would read differently (quotes, #, $, \\ or whitespace)`);
      return `${name}=${value}\n`;
    })
    .join('');
}
