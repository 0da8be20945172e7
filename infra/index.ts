/**
 * Pulumi entry point (`main: infra/` in Pulumi.yaml). Pulumi calls the default export and
 * publishes what it returns as stack outputs.
 */
import { loadConfig } from './config.ts';
import { createInfrastructure, type StackOutputs } from './program.ts';

export default function main(): StackOutputs {
  return createInfrastructure(loadConfig());
}
