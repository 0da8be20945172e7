import { checkPolicies, type PolicySubject, type Violation } from '../../infra/policy/rules.ts';
import { mockState } from './mocks.ts';
import type { OfflineRun } from './offline-run.ts';

/** The offline run as CrossGuard would see it: inputs plus the outputs the mocks computed. */
export function toPolicySubjects(run: OfflineRun): PolicySubject[] {
  return run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: mockState(r.type, r.name, r.inputs, r.region ?? run.region),
    region: r.region,
  }));
}

export function checkOffline(run: OfflineRun): Violation[] {
  return checkPolicies(toPolicySubjects(run));
}
