import { applyActions, type DockerAppOptions } from './docker.ts';
import { waitForHealthy, type HealthCheckOptions, type HealthCheckResult } from './health.ts';
import { rotate, type HostImages, type RotationEvent, type RotationResult } from './rotation.ts';
import { readHostImages, writeHostImages } from './state.ts';

/** One app on one host: where its image record lives and how Docker runs it. */
export interface HostApp extends DockerAppOptions {
  stateFile: string;
}

export interface DeployOutcome {
  /** Every rotation step taken, in order (deploy, then health, which may roll back). */
  steps: RotationResult[];
  health: HealthCheckResult;
  state: HostImages;
  /** True only when the new image runs and answered its health check. */
  ok: boolean;
}

/** Reads the record, rotates, runs the actions, and saves the record only once Docker has done them. */
export async function step(app: HostApp, event: RotationEvent): Promise<RotationResult> {
  const result = rotate(await readHostImages(app.stateFile), event);
  await applyActions(result.actions, app);
  await writeHostImages(app.stateFile, result.state);
  return result;
}

/** Deploy `tag`, check health, and roll back by itself when the check fails. */
export async function deployImage(app: HostApp, tag: string, healthCheck: HealthCheckOptions): Promise<DeployOutcome> {
  const deployed = await step(app, { type: 'deploy', tag });
  const health = await waitForHealthy(healthCheck);
  const judged = await step(app, { type: 'health', tag, ok: health.ok });
  return { steps: [deployed, judged], health, state: judged.state, ok: health.ok };
}

export async function rollbackImage(app: HostApp): Promise<RotationResult> {
  return step(app, { type: 'rollback' });
}
