/**
 * An in-process stand-in for the Pulumi engine's side of a program run: the gRPC ResourceMonitor
 * and Engine services that `pulumi up`/`preview` serve to the language host, on the protos and
 * generated stubs that ship in @pulumi/pulumi. The program runs in its own Node process through
 * the real language-host entry (`@pulumi/pulumi/cmd/run`, see run.ts), so everything between
 * `node` and the program — Pulumi.yaml's nodeargs, the ESM entry lookup, PULUMI_CONFIG parsing,
 * secrets, default exports, stack outputs — is what a real deployment goes through.
 *
 * What stands in for the cloud: resource and invoke results come from the offline plan's mocks
 * (scripts/plan/mocks.ts). In a preview (`--dry-run`) the monitor answers with the inputs only,
 * as the engine does for resources about to be created, so every computed output is unknown.
 * Like the engine, it refuses a second resource with the same URN.
 */
import * as grpc from '@grpc/grpc-js';
import { createRequire } from 'node:module';
import { mockCall, mockState } from '../../../scripts/plan/mocks.ts';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- the generated stubs are untyped CommonJS */
const resourceGrpc = require('@pulumi/pulumi/proto/resource_grpc_pb.js') as any;
const engineGrpc = require('@pulumi/pulumi/proto/engine_grpc_pb.js') as any;
const resproto = require('@pulumi/pulumi/proto/resource_pb.js') as any;
const provproto = require('@pulumi/pulumi/proto/provider_pb.js') as any;
const engproto = require('@pulumi/pulumi/proto/engine_pb.js') as any;
const { Struct } = require('google-protobuf/google/protobuf/struct_pb.js') as any;
const { Empty } = require('google-protobuf/google/protobuf/empty_pb.js') as any;

/** Wire signatures of the Pulumi property encoding (sdk/nodejs/runtime/rpc.ts). */
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
const RESOURCE_SIG = '5cf8f73096256a8f31e491e813e4eb8e';
const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

/** Features the CLI this repository pins answers yes to and the program's SDK asks about. */
const SUPPORTED_FEATURES = new Set(['secrets', 'resourceReferences', 'deletedWith', 'aliasSpecs', 'parameterization', 'replaceWith']);

export interface EngineResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  /** Provider reference `<urn>::<id>`, empty for the default provider. */
  provider: string;
  /** Inputs as the program sent them, secrets and references unwrapped. */
  inputs: Record<string, unknown>;
  /** Top-level inputs that were secrets on the wire. */
  secretInputs: string[];
  /** Input paths the program did not know yet (unknown in a preview). */
  unknownInputs: string[];
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  dependencies: string[];
  /** The `replacementTrigger` option: a change of it replaces the resource. */
  replacementTrigger?: unknown;
}

export interface EngineLog {
  severity: 'debug' | 'info' | 'warning' | 'error';
  message: string;
  urn: string;
}

export interface MonitorRecord {
  resources: EngineResource[];
  logs: EngineLog[];
  /** What the program registered as the Stack's outputs (unwrapped). */
  stackOutputs: Record<string, unknown>;
  /** Stack outputs the program marked secret. */
  secretOutputs: string[];
  /** Data sources the program called, with their arguments (what a preview reads from AWS). */
  invokes: { token: string; args: Record<string, unknown> }[];
  /** Requests the monitor refused, with why (the engine fails the deployment on each). */
  rejections: string[];
}

/** Decodes one wire value: secrets and resource references unwrapped, unknowns noted. */
function decode(value: unknown, path: string, found: { secret: boolean; unknown: string[] }): unknown {
  if (value === UNKNOWN) {
    found.unknown.push(path);
    return undefined;
  }
  if (Array.isArray(value)) return value.map((item, i) => decode(item, `${path}[${i}]`, found));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) {
      found.secret = true;
      return decode(record['value'], path, found);
    }
    if (record[SIG_KEY] === RESOURCE_SIG) return record['id'] ?? record['urn'];
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, decode(inner, path ? `${path}.${key}` : key, found)]));
  }
  return value;
}

function decodeStruct(struct: any): { values: Record<string, unknown>; secret: string[]; unknown: string[] } {
  const raw = (struct ? struct.toJavaScript() : {}) as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const secret: string[] = [];
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const found = { secret: false, unknown: [] as string[] };
    values[key] = decode(value, key, found);
    if (found.secret) secret.push(key);
    unknown.push(...found.unknown);
  }
  return { values, secret, unknown };
}

const secretWrap = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

/** JSON-safe copy (Struct.fromJavaScript refuses undefined). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null));
}

export interface MonitorOptions {
  stack: string;
  project: string;
  region: string;
  dryRun: boolean;
}

export interface RunningMonitor {
  address: string;
  /** Called on the program's first error diagnostic. */
  onError(listener: () => void): void;
  record: MonitorRecord;
  close(): Promise<void>;
}

/** Serves ResourceMonitor and Engine on one loopback port for one program run. */
export async function startMonitor(options: MonitorOptions): Promise<RunningMonitor> {
  const record: MonitorRecord = { resources: [], logs: [], stackOutputs: {}, secretOutputs: [], invokes: [], rejections: [] };
  const byUrn = new Map<string, EngineResource>();
  let rootUrn = '';
  let onError: (() => void) | undefined;

  const qualifiedType = (parent: string, type: string) => {
    // The engine prefixes a child's type with its parent's qualified type, except under the Stack.
    if (!parent || parent === rootUrn) return type;
    return `${parent.split('::')[2]}$${type}`;
  };

  const fail = (callback: grpc.sendUnaryData<unknown>, message: string) => {
    record.rejections.push(message);
    onError?.();
    callback({ code: grpc.status.INVALID_ARGUMENT, details: message, name: 'Error', message, metadata: new grpc.Metadata() }, null);
  };

  const monitor = {
    supportsFeature(call: any, callback: grpc.sendUnaryData<unknown>) {
      const response = new resproto.SupportsFeatureResponse();
      response.setHassupport(SUPPORTED_FEATURES.has(call.request.getId()));
      callback(null, response);
    },
    registerResource(call: any, callback: grpc.sendUnaryData<unknown>) {
      const req = call.request;
      const type: string = req.getType();
      const name: string = req.getName();
      const parent: string = req.getParent();
      const urn = `urn:pulumi:${options.stack}::${options.project}::${qualifiedType(parent, type)}::${name}`;
      if (byUrn.has(urn)) return fail(callback, `Duplicate resource URN '${urn}'; try giving it a unique name`);
      if (parent && !byUrn.has(parent)) return fail(callback, `resource ${urn}'s parent ${parent} was not registered before it`);
      const provider: string = req.getProvider();
      if (provider && !byUrn.has(provider.split('::').slice(0, -1).join('::'))) return fail(callback, `resource ${urn} names an unregistered provider ${provider}`);
      const { values, secret, unknown } = decodeStruct(req.getObject());
      const resource: EngineResource = {
        urn,
        type,
        name,
        custom: req.getCustom(),
        parent,
        provider,
        inputs: values,
        secretInputs: secret,
        unknownInputs: unknown,
        retainOnDelete: req.getRetainondelete() === true,
        deleteBeforeReplace: req.getDeletebeforereplace() === true,
        dependencies: req.getDependenciesList(),
        ...(req.hasReplacementTrigger() ? { replacementTrigger: decode(req.getReplacementTrigger().toJavaScript(), 'replacementTrigger', { secret: false, unknown: [] }) } : {}),
      };
      byUrn.set(urn, resource);
      record.resources.push(resource);
      if (type === 'pulumi:pulumi:Stack') rootUrn = urn;

      const providerResource = provider ? byUrn.get(provider.split('::').slice(0, -1).join('::')) : undefined;
      const region = (providerResource?.inputs['region'] as string | undefined) ?? options.region;
      // A preview creates nothing: the engine answers with the inputs, every output unknown.
      // Remote components (awsx's Vpc) are constructed by their provider plugin, which answers with outputs.
      const providerAnswers = resource.custom || req.getRemote() === true;
      const state = !providerAnswers ? {} : options.dryRun ? values : mockState(type, name, values, region);
      // As the engine does: secret inputs stay secret, and so do the outputs the provider's SDK names secret (an access key's `secret`).
      const secretOutputs: string[] = [...secret, ...req.getAdditionalsecretoutputsList()];
      const wire = Object.fromEntries(Object.entries(plain(state) as Record<string, unknown>).map(([key, value]) => [key, secretOutputs.includes(key) ? secretWrap(value) : value]));
      const response = new resproto.RegisterResourceResponse();
      response.setUrn(urn);
      response.setId(resource.custom ? (options.dryRun ? '' : `${type.split(':').pop()?.toLowerCase()}-${name}`) : '');
      response.setObject(Struct.fromJavaScript(wire));
      callback(null, response);
    },
    registerResourceOutputs(call: any, callback: grpc.sendUnaryData<unknown>) {
      const req = call.request;
      if (req.getUrn() === rootUrn) {
        const { values, secret } = decodeStruct(req.getOutputs());
        record.stackOutputs = values;
        record.secretOutputs = secret;
      }
      callback(null, new Empty());
    },
    invoke(call: any, callback: grpc.sendUnaryData<unknown>) {
      const req = call.request;
      const token: string = req.getTok();
      const { values } = decodeStruct(req.getArgs());
      record.invokes.push({ token, args: values });
      const result = mockCall({ token, inputs: values, provider: req.getProvider() } as never);
      const response = new provproto.InvokeResponse();
      response.setReturn(Struct.fromJavaScript(plain(result)));
      callback(null, response);
    },
    readResource(call: any, callback: grpc.sendUnaryData<unknown>) {
      fail(callback, `the program reads ${call.request.getType()} ${call.request.getName()}: not expected of this program`);
    },
    call(call: any, callback: grpc.sendUnaryData<unknown>) {
      fail(callback, `the program calls ${call.request.getTok()}: not expected of this program`);
    },
    registerPackage(_call: any, callback: grpc.sendUnaryData<unknown>) {
      const response = new resproto.RegisterPackageResponse();
      response.setRef('engine-test-package');
      callback(null, response);
    },
    signalAndWaitForShutdown(_call: any, callback: grpc.sendUnaryData<unknown>) {
      callback(null, new Empty());
    },
    registerStackTransform(_call: any, callback: grpc.sendUnaryData<unknown>) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'transforms are not used', name: 'Error', message: 'unimplemented', metadata: new grpc.Metadata() }, null);
    },
  };

  const SEVERITY = ['debug', 'info', 'warning', 'error'] as const;
  const engine = {
    log(call: any, callback: grpc.sendUnaryData<unknown>) {
      const req = call.request;
      const severity = SEVERITY[req.getSeverity() as number] ?? 'error';
      record.logs.push({ severity, message: req.getMessage(), urn: req.getUrn() });
      callback(null, new Empty());
      if (severity === 'error') onError?.();
    },
    getRootResource(_call: any, callback: grpc.sendUnaryData<unknown>) {
      const response = new engproto.GetRootResourceResponse();
      response.setUrn(rootUrn);
      callback(null, response);
    },
    setRootResource(call: any, callback: grpc.sendUnaryData<unknown>) {
      rootUrn = call.request.getUrn();
      callback(null, new engproto.SetRootResourceResponse());
    },
  };

  // A handler that throws would leave its call unanswered and the program waiting: answer with the error.
  const guarded = (handlers: Record<string, (call: any, callback: grpc.sendUnaryData<unknown>) => void>) =>
    Object.fromEntries(
      Object.entries(handlers).map(([method, handler]) => [
        method,
        (call: any, callback: grpc.sendUnaryData<unknown>) => {
          try {
            handler(call, callback);
          } catch (error) {
            fail(callback, `${method}: ${(error as Error).stack ?? String(error)}`);
          }
        },
      ]),
    );
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 400 * 1024 * 1024 });
  server.addService(resourceGrpc.ResourceMonitorService, guarded(monitor) as never);
  server.addService(engineGrpc.EngineService, guarded(engine) as never);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return {
    address: `127.0.0.1:${port}`,
    record,
    onError: (listener) => {
      onError = listener;
    },
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
