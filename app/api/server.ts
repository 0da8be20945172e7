/** `npm run api`: the API on $HOST:$PORT from the environment (see config.ts). */
import { startApi } from './start.ts';

const api = await startApi(process.env);
console.log(JSON.stringify({ level: 'info', msg: 'api listening', url: api.url }));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void api.close().then(() => process.exit(0));
  });
}
