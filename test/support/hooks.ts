/** Mocha root hooks, loaded for every run through `.mocharc.json` ("require"). */
import type { RootHookObject } from 'mocha';
import { runTeardowns } from './teardown.ts';

// The AWS SDK warns once per process that its 2027 releases need Node 22; tests run on Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const mochaHooks: RootHookObject = {
  async afterAll() {
    await runTeardowns();
  },
};
