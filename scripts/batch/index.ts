/** Entry point of `npm run batch`: see cli.ts for the commands and README "Batch reprocessing" for usage. */
import { runBatchCli } from './cli.ts';

process.exitCode = await runBatchCli(process.argv);
