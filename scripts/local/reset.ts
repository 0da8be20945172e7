/** `npm run reset`: wipes the local data folder (database, S3 objects, sample state). */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { lockHolder } from './lock.ts';

const dataDir = path.resolve(process.env.MARKETPLACE_DATA_DIR ?? path.join(import.meta.dirname, '../../.local'));
const pid = await lockHolder(path.join(dataDir, 'start.lock'));
if (pid) {
  console.error(`npm start is running (pid ${pid}); stop it before resetting its data.`);
  process.exit(1);
}
await rm(dataDir, { recursive: true, force: true });
console.log(`Removed ${dataDir}`);
