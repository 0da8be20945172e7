/**
 * The CrossGuard pack loaded the way `pulumi preview --policy-pack infra/policy` loads it: the
 * policy host entry of @pulumi/pulumi (`cmd/run-policy-pack`, which registers ts-node with type
 * checking and `require`s the pack), serving the Analyzer gRPC service this test then asks for
 * its policies.
 */
import * as grpc from '@grpc/grpc-js';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../infra/bundles.ts';
import { RULES } from '../../../infra/policy/rules.ts';
import { buildPolicyPack, POLICY_PACK_DIR } from '../../../scripts/plan/build-policy.ts';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any -- generated CommonJS stubs */
const analyzerGrpc = require('@pulumi/pulumi/proto/analyzer_grpc_pb.js') as any;
const { Empty } = require('google-protobuf/google/protobuf/empty_pb.js') as any;

const POLICY_HOST = join(REPO_ROOT, 'node_modules', '@pulumi', 'pulumi', 'cmd', 'run-policy-pack');

/** Starts the policy host on the pack; resolves with the port it prints, or rejects with its output. */
function startPolicyHost(): Promise<{ port: number; stop(): void }> {
  // The engine address is not used until the pack reports a diagnostic.
  const child = spawn(process.execPath, [POLICY_HOST, '127.0.0.1:1', '.'], { cwd: POLICY_PACK_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /^(\d+)\s*$/m.exec(output)?.[1];
      if (port) resolve({ port: Number(port), stop: () => child.kill() });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => reject(new Error(`policy host exited with ${code}:\n${output}`)));
  });
}

describe('the CrossGuard pack under the policy host', function () {
  this.timeout(120_000);

  it('loads through cmd/run-policy-pack and serves every rule, mandatory', async () => {
    await buildPolicyPack();
    const host = await startPolicyHost();
    try {
      const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${host.port}`, grpc.credentials.createInsecure());
      const info = await new Promise<any>((resolve, reject) => client.getAnalyzerInfo(new Empty(), (error: Error | null, response: any) => (error ? reject(error) : resolve(response))));
      client.close();
      expect(info.getName()).to.equal('svg-marketplace');
      const policies = info.getPoliciesList().map((policy: any) => policy.getName());
      expect(policies).to.deep.equal(RULES.map((rule) => rule.name));
    } finally {
      host.stop();
    }
  });
});
