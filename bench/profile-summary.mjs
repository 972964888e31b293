// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
// and self time grouped by package or by Gatehouse source folder.
// Usage: node bench/profile-summary.mjs FILE.cpuprofile [COUNT]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function owner(url) {
  if (url === '') return '(native or V8)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch !== null) return packageMatch[1];
  const sourceMatch = /\/dist\/(src\/[^/]+)/.exec(url);
  if (sourceMatch !== null) return `gatehouse ${sourceMatch[1]}`;
  if (url.startsWith('node:')) return 'node core';
  return url;
}

/** Returns the top `count` functions by self time and the self time per package, as text. */
export function summarizeProfile(path, count = 25) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const sampleCount = profile.samples.length;
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);

  const byFunction = new Map();
  const byOwner = new Map();
  for (const node of profile.nodes) {
    const samples = hits.get(node.id) ?? 0;
    if (samples === 0) continue;
    const frame = node.callFrame;
    const location = frame.url === '' ? '' : `${frame.url.replace(/^file:\/\/.*?\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName || '(anonymous)'} ${location}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + samples);
    const group = owner(frame.url);
    byOwner.set(group, (byOwner.get(group) ?? 0) + samples);
  }
  const share = (samples) => `${((100 * samples) / sampleCount).toFixed(1).padStart(5)}%`;
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, count);
  const groups = [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return [
    `${sampleCount} samples; self time by function:`,
    ...top.map(([name, samples]) => `  ${share(samples)}  ${name}`),
    'self time by package or source folder:',
    ...groups.map(([name, samples]) => `  ${share(samples)}  ${name}`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, count] = process.argv.slice(2);
  if (path === undefined) {
    console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [COUNT]');
    process.exit(2);
  }
  console.log(summarizeProfile(path, count === undefined ? 25 : Number(count)));
}
