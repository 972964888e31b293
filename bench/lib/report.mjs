/**
 * Formats the benchmark's rows as one Markdown table, followed by the targets (met or missed,
 * with the numbers), the login-under-load and event loop figures, and the notes.
 */
const MIB = 1024 * 1024;
const PEER = 'node-oidc-provider';
const BARE_TOKEN = 'node:http token handler';
const TOKEN_CASES = ['client_credentials, opaque', 'client_credentials, JWT (ES256)', 'introspection', 'refresh with rotation'];

const format = {
  rate: (value) => (Number.isFinite(value) ? value.toFixed(value < 100 ? 1 : 0) : '–'),
  ms: (value) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 1 : 0) : '–'),
  mib: (bytes) => (Number.isFinite(bytes) ? (bytes / MIB).toFixed(0) : '–'),
  ratio: (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–'),
  percent: (value) => (Number.isFinite(value) ? `${(value * 100).toFixed(0)}%` : '–'),
  signedPercent: (value) => (Number.isFinite(value) ? `${value >= 0 ? '+' : '−'}${Math.abs(value * 100).toFixed(0)}%` : '–'),
};

function findRow(rows, server, caseName, database) {
  return rows.find((row) => row.server === server && row.case === caseName && (database === undefined || row.database === database) && row.rps !== undefined);
}

function comparisons(rows, row) {
  if (row.server !== 'Gatehouse' || row.rps === undefined) return '';
  const parts = [];
  if (row.group === 'scale') {
    const [kind] = row.database.split(',');
    const empty = findRow(rows, 'Gatehouse', row.case, kind);
    if (empty !== undefined) parts.push(`${format.signedPercent(row.rps / empty.rps - 1)} rate vs almost empty database`);
    return parts.join(', ');
  }
  const peer = findRow(rows, PEER, row.case);
  if (peer !== undefined) parts.push(`${format.ratio(row.rps / peer.rps)} peer`);
  const bare = findRow(rows, BARE_TOKEN, 'client_credentials');
  if (bare !== undefined && TOKEN_CASES.includes(row.case)) parts.push(`${format.percent(row.rps / bare.rps)} of bare token handler`);
  if (row.group === 'login load') {
    const alone = findRow(rows, 'Gatehouse', 'client_credentials, opaque', row.database);
    if (alone !== undefined) parts.push(`${format.percent(row.rps / alone.rps)} of the rate without logins`);
  }
  return parts.join(', ');
}

function table(rows) {
  const lines = [
    '| Case | Server | Database | Req/s or flows/s | p50 ms | p99 ms | Peak RSS MiB | Compared | Failed |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const row of rows) {
    if (row.rps === undefined) continue;
    lines.push(
      `| ${row.case} | ${row.server} | ${row.database ?? ''} | ${format.rate(row.rps)} | ${format.ms(row.p50)} | ${format.ms(row.p99)} | ${format.mib(row.peakRss)} | ${comparisons(rows, row)} | ${row.errors} |`,
    );
  }
  return lines.join('\n');
}

/** Evaluates every target against the measured rows. Each entry is { met, text }. */
export function evaluateTargets(rows) {
  const results = [];
  const check = (met, text) => results.push({ met, text });
  const bare = findRow(rows, BARE_TOKEN, 'client_credentials');
  for (const kind of ['sqlite', 'postgres']) {
    const needed = kind === 'sqlite' ? 2 : 1;
    for (const caseName of TOKEN_CASES) {
      const own = findRow(rows, 'Gatehouse', caseName, kind);
      const peer = findRow(rows, PEER, caseName);
      if (own === undefined || peer === undefined) continue;
      const ratio = own.rps / peer.rps;
      check(ratio >= needed, `${kind}, ${caseName}: ${format.ratio(ratio)} node-oidc-provider's req/s (${format.rate(own.rps)} vs ${format.rate(peer.rps)}; target ≥ ${needed}×)`);
      if (kind === 'sqlite' && bare !== undefined) {
        const share = own.rps / bare.rps;
        check(share >= 0.35, `${kind}, ${caseName}: ${format.percent(share)} of the bare token handler's req/s (${format.rate(bare.rps)}; target ≥ 35%)`);
      }
      check(own.p99 < 10, `${kind}, ${caseName}: p99 ${format.ms(own.p99)} ms at 50 connections (target < 10 ms)`);
    }
    for (const caseName of ['code flow, sequential', 'code flow, 20 concurrent']) {
      const own = findRow(rows, 'Gatehouse', caseName, kind);
      const peer = findRow(rows, PEER, caseName);
      if (own === undefined || peer === undefined) continue;
      const ratio = own.rps / peer.rps;
      check(ratio >= 2, `${kind}, ${caseName}: ${format.ratio(ratio)} node-oidc-provider's flows/s (${format.rate(own.rps)} vs ${format.rate(peer.rps)}; target ≥ 2×)`);
    }
    for (const caseName of ['introspection', 'code flow, sequential', 'code flow, 20 concurrent']) {
      const empty = findRow(rows, 'Gatehouse', caseName, kind);
      const seeded = findRow(rows, 'Gatehouse', caseName, `${kind}, 1M tokens`);
      if (empty === undefined || seeded === undefined) continue;
      const cost = 1 - seeded.rps / empty.rps;
      const change = cost > 0 ? `${format.percent(cost)} slower` : `${format.percent(-cost)} faster`;
      check(
        cost < 0.15,
        `${kind}, ${caseName} with 1M tokens and 100k users: ${format.rate(seeded.rps)} vs ${format.rate(empty.rps)}/s on an almost empty database, ${change} (target: less than 15% slower)`,
      );
    }
    const idle = rows.find((row) => row.idleRss !== undefined && row.database === kind);
    if (idle !== undefined) check(idle.idleRss < 100 * MIB, `${kind}: idle RSS ${format.mib(idle.idleRss)} MiB after start (target < 100 MiB)`);
  }
  return results;
}

function loginSection(rows) {
  const lines = [];
  for (const row of rows.filter((candidate) => candidate.logins !== undefined)) {
    const alone = findRow(rows, 'Gatehouse', 'client_credentials, opaque', row.database);
    lines.push(
      `- ${row.database}: token p99 ${format.ms(row.p99)} ms with ${format.rate(row.logins.perSecond)} logins/s beside it` +
        ` (${format.ms(alone?.p99)} ms without), ${format.rate(row.rps)} vs ${format.rate(alone?.rps)} tokens/s;` +
        ` login p99 ${format.ms(row.logins.p99)} ms, ${row.logins.failed} failed logins;` +
        ` event loop delay max ${format.ms(row.eventLoop?.max)} ms, p99 ${format.ms(row.eventLoop?.p99)} ms` +
        ` (${format.ms(alone?.eventLoop?.max)} ms and ${format.ms(alone?.eventLoop?.p99)} ms without logins)`,
    );
  }
  return lines.join('\n');
}

export function formatReport(rows, notes, context) {
  const targets = evaluateTargets(rows);
  const idle = rows.filter((row) => row.idleRss !== undefined).map((row) => `- Gatehouse on ${row.database}: ${format.mib(row.idleRss)} MiB`);
  return [
    `Machine: ${context.machine}`,
    `Each case: ${context.settings.warmupSeconds} s warm-up, then the median of ${context.settings.runs} runs of ${context.settings.runSeconds} s;` +
      ` ${context.connections} connections for autocannon cases, 1 and ${context.concurrentFlows} browsers for code flows.`,
    '',
    table(rows),
    '',
    'Idle RSS after start:',
    ...idle,
    '',
    'Token endpoint with password logins beside it:',
    loginSection(rows),
    '',
    'Targets:',
    ...targets.map((target) => `- ${target.met ? 'met' : 'MISSED'}: ${target.text}`),
    '',
    'Notes:',
    ...notes.map((note) => `- ${note}`),
  ].join('\n');
}
