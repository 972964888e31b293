// Preloaded into the Gatehouse server process with `node --import`, so the benchmark can see
// whether the event loop stalls without changing Gatehouse. When BENCH_EVENT_LOOP_REPORT names a
// file, each SIGUSR2 writes the event loop delay since the previous signal (milliseconds, as
// JSON) to that file and starts a new measurement.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const reportPath = process.env.BENCH_EVENT_LOOP_REPORT;
if (reportPath !== undefined && reportPath !== '') {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('SIGUSR2', () => {
    const toMs = (nanoseconds) => nanoseconds / 1e6;
    const report = { p50: toMs(histogram.percentile(50)), p99: toMs(histogram.percentile(99)), max: toMs(histogram.max) };
    writeFileSync(reportPath, JSON.stringify(report));
    histogram.reset();
  });
}
