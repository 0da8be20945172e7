/** Mocha root hooks, loaded for every run through `.mocharc.json` ("require"). */
import type { RootHookObject } from 'mocha';
import { stopTestPostgres } from './postgres.ts';

export const mochaHooks: RootHookObject = {
  async afterAll() {
    await stopTestPostgres();
  },
};
