/** The progress bar: images done of the remaining total, rate and ETA (cli-progress computes both). */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  start(total: number): void;
  update(done: number, counters: { failed: number; total?: number }): void;
  stop(): void;
}

export function terminalProgress(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {percentage}% | {value}/{total} images | {speed} img/s | ETA {eta_formatted} | failed {failed}`,
      stream,
      etaBuffer: 200,
      fps: 5,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = 0;
  return {
    start(total) {
      started = performance.now();
      bar.start(total, 0, { speed: '0.0', failed: 0 });
    },
    update(done, counters) {
      if (counters.total !== undefined) bar.setTotal(counters.total);
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { speed: seconds > 0 ? (done / seconds).toFixed(1) : '0.0', failed: counters.failed });
    },
    stop: () => bar.stop(),
  };
}

export const silentProgress: ProgressReporter = { start() {}, update() {}, stop() {} };
