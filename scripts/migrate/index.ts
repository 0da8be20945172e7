import { buildMigrateProgram, EXIT_REFUSED } from './cli.ts';
import { DestructiveMigrationRefusedError } from './runner.ts';

try {
  await buildMigrateProgram().parseAsync(process.argv);
} catch (error) {
  console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof DestructiveMigrationRefusedError ? EXIT_REFUSED : 1;
}
