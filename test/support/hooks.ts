/** Mocha root hooks, loaded for every run through `.mocharc.json` ("require"). */
import type { RootHookObject } from 'mocha';
import { runTeardowns } from './teardown.ts';

export const mochaHooks: RootHookObject = {
  async afterAll() {
    await runTeardowns();
  },
};
