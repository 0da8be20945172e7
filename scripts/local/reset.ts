/** `npm run reset`: wipes the local data folder (database, S3 objects, sample state). */
import { rm } from 'node:fs/promises';
import path from 'node:path';

const dataDir = path.resolve(import.meta.dirname, '../../.local');
await rm(dataDir, { recursive: true, force: true });
console.log(`Removed ${dataDir}`);
