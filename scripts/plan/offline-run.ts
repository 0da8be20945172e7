import * as pulumi from '@pulumi/pulumi';
import { PROJECT } from '../../infra/config.ts';
import { mockCall, mockState } from './mocks.ts';
import { readStackSettings, type StackConfigFile } from './stack-config.ts';

/** One resource the program registered, as the plan, the tests and the policy checks see it. */
export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent component; undefined for top-level components. */
  parentUrn: string | undefined;
  /** AWS region the resource's provider targets; undefined for non-AWS resources. */
  region: string | undefined;
  custom: boolean;
  /** The id the mocks assigned; other resources refer to it (e.g. a launch template id). */
  id: string;
  /** Inputs with Pulumi secrets unwrapped (offline values are placeholders). */
  inputs: Record<string, unknown>;
  /** Top-level input keys whose value is (or contains) a Pulumi secret. */
  secretInputs: string[];
  /** URN of the explicit provider, if any. */
  providerUrn: string | undefined;
  /** Components (remote ones such as awsx's Vpc): URN of the provider named for each package. */
  providerUrns: Record<string, string>;
  /** `retainOnDelete`: a destroy leaves the cloud resource in place (prod data). */
  retainOnDelete: boolean;
  /** `deleteBeforeReplace`: a replacement deletes first (a fixed physical name cannot exist twice). */
  deleteBeforeReplace: boolean;
  /** `ignoreChanges`: inputs a resource keeps from its state once created. */
  ignoreChanges: string[];
}

export interface OfflineRun {
  stack: string;
  region: string;
  resources: PlannedResource[];
  outputs: Record<string, unknown>;
  configSource: string;
}

export interface OfflineRunOptions {
  /** Extra or replaced `namespace:key` settings (objects are JSON-encoded like the engine does). */
  config?: Record<string, unknown>;
  /** The stack file's contents, instead of reading `Pulumi.<stack>.yaml` (a generated `pr-<n>` file). */
  stackFile?: StackConfigFile;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getProvidersMap(): { forEach(callback: (reference: string, pkg: string) => void): void };
  getCustom(): boolean;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
}

interface MonitorLike {
  registerResource(req: RegisterRequest, callback: (err: unknown, res: unknown) => void): Promise<void>;
}

/** The wire signature Pulumi puts on a secret value (sdk/nodejs/runtime/rpc.ts). */
const SECRET_SIGNATURE_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIGNATURE = '1b47061264138c4ac30d75fd1eb44270';

function isSecretValue(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE;
}

/** Unwraps secrets; reports whether any were found. */
function unwrapSecrets(value: unknown): { value: unknown; secret: boolean } {
  if (isSecretValue(value)) return { value: unwrapSecrets(value.value).value, secret: true };
  if (Array.isArray(value)) {
    const items = value.map(unwrapSecrets);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (typeof value === 'object' && value !== null) {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const unwrapped = unwrapSecrets(inner);
      out[key] = unwrapped.value;
      secret ||= unwrapped.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

function splitSecrets(raw: Record<string, unknown>): { inputs: Record<string, unknown>; secretInputs: string[] } {
  const inputs: Record<string, unknown> = {};
  const secretInputs: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const unwrapped = unwrapSecrets(value);
    inputs[key] = unwrapped.value;
    if (unwrapped.secret) secretInputs.push(key);
  }
  return { inputs, secretInputs };
}

/** The provider reference is `<provider urn>::<id>`. */
function providerUrnOf(reference: string): string | undefined {
  if (!reference) return undefined;
  const parts = reference.split('::');
  return parts.slice(0, -1).join('::');
}

/** Lets every registration started by the program — including inside applies — finish. */
async function settle(pending: () => number, registered: () => number): Promise<void> {
  let stableRounds = 0;
  let last = -1;
  while (stableRounds < 3) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const now = registered();
    if (pending() === 0 && now === last) stableRounds++;
    else stableRounds = 0;
    last = now;
  }
}

function resolveOutputs(value: object): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    pulumi.output(value).apply((v) => resolve(v as Record<string, unknown>));
  });
}

/**
 * Runs the Pulumi program for one stack under `pulumi.runtime.setMocks` and returns every
 * resource it registers. The program is imported lazily, after the mocks are in place.
 * Runs are sequential: the Pulumi runtime keeps its state in one global store.
 */
export async function runOffline(stack: string, options: OfflineRunOptions = {}): Promise<OfflineRun> {
  const settings = readStackSettings(stack, options.config, undefined, options.stackFile);
  const region = settings.values['aws:region'] ?? 'us-east-1';
  const records = new Map<string, PlannedResource>();
  const parents = new Map<string, { parentUrn: string; providerUrn: string | undefined; providerUrns: Record<string, string>; custom: boolean; retainOnDelete: boolean; deleteBeforeReplace: boolean; ignoreChanges: string[] }>();
  let pending = 0;

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const key = `${args.type}::${args.name}`;
        const meta = parents.get(key);
        const { inputs, secretInputs } = splitSecrets(args.inputs as Record<string, unknown>);
        // ARNs carry the region of the resource's provider (us-east-1 for the edge WAF).
        const provider = meta?.providerUrn ? records.get(meta.providerUrn) : undefined;
        const resourceRegion = (provider?.inputs['region'] as string | undefined) ?? region;
        const state = mockState(args.type, args.name, inputs, resourceRegion);
        const parentUrn = meta?.parentUrn || undefined;
        const qualified = parentUrn ? `${parentUrn.split('::')[2]?.split('$').pop()}$${args.type}` : args.type;
        const urn = `urn:pulumi:${stack}::${PROJECT}::${qualified}::${args.name}`;
        // Names repeat across kinds (an ALB and its target group); ids must not.
        const id = args.custom === false ? '' : `${args.type.split('/').pop()?.split(':').pop()?.toLowerCase()}-${args.name}`;
        records.set(urn, {
          urn,
          type: args.type,
          name: args.name,
          parentUrn,
          region: undefined,
          custom: meta?.custom ?? args.custom ?? false,
          id,
          inputs,
          secretInputs,
          providerUrn: meta?.providerUrn,
          providerUrns: meta?.providerUrns ?? {},
          retainOnDelete: meta?.retainOnDelete ?? false,
          deleteBeforeReplace: meta?.deleteBeforeReplace ?? false,
          ignoreChanges: meta?.ignoreChanges ?? [],
        });
        return { id, state };
      },
      call: mockCall,
    },
    PROJECT,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(settings.values, settings.secretKeys);

  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = async (req, callback) => {
    pending++;
    const providerUrns: Record<string, string> = {};
    req.getProvidersMap().forEach((reference, pkg) => {
      const urn = providerUrnOf(reference);
      if (urn) providerUrns[pkg] = urn;
    });
    parents.set(`${req.getType()}::${req.getName()}`, {
      parentUrn: req.getParent(),
      providerUrn: providerUrnOf(req.getProvider()),
      providerUrns,
      custom: req.getCustom(),
      retainOnDelete: req.getRetainondelete() === true,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
    });
    try {
      await registerResource(req, callback);
    } finally {
      pending--;
    }
  };

  const program = await import('../../infra/index.ts');
  const outputs = program.default();
  const resolved = await resolveOutputs(outputs);
  await settle(() => pending, () => records.size);

  const resources = [...records.values()];
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  for (const resource of resources) {
    if (!resource.type.startsWith('aws:') && !resource.type.startsWith('awsx:')) continue;
    const provider = resource.providerUrn ? byUrn.get(resource.providerUrn) : undefined;
    resource.region = (provider?.inputs['region'] as string | undefined) ?? region;
  }
  return { stack, region, resources, outputs: resolved, configSource: settings.source };
}
