import { buildDeployProgram } from './cli.ts';

await buildDeployProgram().parseAsync(process.argv);
