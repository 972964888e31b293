import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';

/**
 * Runs autocannon for a fixed time against one endpoint and returns successful responses per
 * second and latency percentiles in milliseconds. autocannon records latencies in whole
 * milliseconds.
 * @param {{ base: string, connections: number, seconds: number, request: { method: string, path: string, headers?: Record<string, string>, body?: string, setupRequest?: Function, onResponse?: Function } }} options
 */
export async function runAutocannon(options) {
  const result = await autocannon({
    url: options.base,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    requests: [options.request],
  });
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    completed: ok,
    errors: result.non2xx + result.errors + result.timeouts,
  };
}

export function median(values) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Reads the busy and total CPU time of the whole machine from /proc/stat, in clock ticks. */
function readCpuTicks() {
  const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** Measures how many cores are busy over `ms` milliseconds. */
async function busyCores(ms) {
  const before = readCpuTicks();
  await delay(ms);
  const after = readCpuTicks();
  const share = (after.busy - before.busy) / Math.max(1, after.total - before.total);
  return share * availableParallelism();
}

/**
 * Waits until the machine is quiet before a measured case. The 1-minute load average also counts
 * the benchmark's own previous case. So when it is above 1.0, the busy CPU is sampled for 2
 * seconds while the benchmark itself is idle. Above 0.5 busy cores, other work is running, and
 * the check polls every 10 seconds while `budget.remainingMs` lasts. Returns a warning, or
 * undefined when the machine was quiet.
 * @param {{ remainingMs: number }} budget shared by all cases of a run, so a busy machine cannot stretch the run without bound
 */
export async function waitForQuietMachine(budget, log) {
  if (loadavg()[0] <= 1.0) return undefined;
  let busy = await busyCores(2000);
  if (busy <= 0.5) return undefined;
  log(`  waiting for a quiet machine: load average ${loadavg()[0].toFixed(2)}, ${busy.toFixed(2)} cores busy with other work`);
  while (budget.remainingMs > 0) {
    const started = Date.now();
    await delay(8000);
    busy = await busyCores(2000);
    budget.remainingMs -= Date.now() - started;
    if (busy <= 0.5) return undefined;
  }
  return `other work kept ${busy.toFixed(2)} cores busy (load average ${loadavg()[0].toFixed(2)}); measured anyway`;
}
