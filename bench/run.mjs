// Benchmarks Gatehouse beside node-oidc-provider and bare Node.js servers on this machine and
// prints one table. Run it with `npm run bench` (add `-- --quick` for a short smoke run). Every
// server runs as a child process on 127.0.0.1, and every load run is bounded in time.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  AUDIENCE,
  clientCredentialsCase,
  CONCURRENT_FLOWS,
  CONNECTIONS,
  codeFlowCase,
  introspectionCase,
  refreshCase,
  staticCase,
  tokenUnderLoginsCase,
} from './lib/cases.mjs';
import {
  BENCH_USER,
  checkPostgres,
  createDatabase,
  prepareGatehouse,
  REDIRECT_URI,
  SCALE,
  seedScaleData,
  SERVICE_SCOPE,
  startGatehouse,
} from './lib/gatehouse.mjs';
import { Browser } from './lib/browser.mjs';
import { median, waitForQuietMachine } from './lib/measure.mjs';
import { formatReport } from './lib/report.mjs';
import { freePort, killAllServersNow, readMemory, resetPeakMemory, startServer, stopAllServers } from './lib/processes.mjs';
import { summarizeProfile } from './profile-summary.mjs';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    profile: { type: 'boolean', default: false },
    'skip-scale': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const SETTINGS = flags.quick
  ? { warmupSeconds: 1, runs: 1, runSeconds: 2, checkQuiet: false }
  : { warmupSeconds: 2, runs: 3, runSeconds: 5, checkQuiet: true };
const LOGINS_PER_SECOND = 10;
const serverScript = (name) => fileURLToPath(new URL(`./servers/${name}`, import.meta.url));
const log = (message) => console.error(message);

/** Databases to drop and folders to delete at the end, also after an error or Ctrl-C. */
const cleanups = [];
/** Every measured row, in the order the table prints them. */
const rows = [];
const notes = [];
const quietBudget = { remainingMs: 5 * 60 * 1000 };

function selected(group) {
  return flags.only === undefined || flags.only.some((part) => group.toLowerCase().includes(part.toLowerCase()));
}

/**
 * Runs one case: a quiet-machine check, a warm-up, then SETTINGS.runs measured runs. Reports the
 * median of each figure and the server's peak RSS during the case.
 */
async function measure(row, server, load, eventLoop) {
  log(`${row.server} ${row.database ?? ''} ${row.case}`.replace(/\s+/g, ' '));
  const warning = SETTINGS.checkQuiet ? await waitForQuietMachine(quietBudget, log) : undefined;
  if (warning !== undefined) notes.push(`${row.server} ${row.case}: ${warning}`);

  const peakResettable = resetPeakMemory(server.pid);
  await load.runOnce(SETTINGS.warmupSeconds);
  await eventLoop?.read();
  const runs = [];
  for (let index = 0; index < SETTINGS.runs; index += 1) runs.push(await load.runOnce(SETTINGS.runSeconds));
  const loop = await eventLoop?.read();

  const result = {
    ...row,
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => run.p50)),
    p99: median(runs.map((run) => run.p99)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    completed: runs.reduce((sum, run) => sum + run.completed, 0),
    peakRss: readMemory(server.pid).peakRss,
    peakCumulative: !peakResettable,
    eventLoop: loop,
  };
  const withLogins = runs.filter((run) => run.logins !== undefined);
  if (withLogins.length > 0) {
    result.logins = {
      perSecond: median(withLogins.map((run) => run.logins.perSecond)),
      p99: median(withLogins.map((run) => run.logins.p99)),
      failed: withLogins.reduce((sum, run) => sum + run.logins.failed, 0),
    };
  }

  const firstError = runs.find((run) => run.firstError !== undefined)?.firstError;
  if (firstError !== undefined) notes.push(`${row.server} ${row.database ?? ''} ${row.case}: first error: ${firstError}`);
  rows.push(result);
  log(`  ${result.rps.toFixed(0)}/s p50 ${result.p50.toFixed(1)} ms p99 ${result.p99.toFixed(1)} ms errors ${result.errors}`);
  return result;
}

/** Reads the event loop delay that the probe in the Gatehouse process measured since the last read. */
function eventLoopReader(server, reportPath) {
  return {
    async read() {
      rmSync(reportPath, { force: true });
      process.kill(server.pid, 'SIGUSR2');
      for (let attempt = 0; attempt < 50; attempt += 1) {
        await delay(20);
        try {
          return JSON.parse(readFileSync(reportPath, 'utf8'));
        } catch {
          // Not written yet.
        }
      }
      return undefined;
    },
  };
}

async function benchBareServers() {
  const bare = [
    { file: 'bare-http.mjs', server: 'node:http', case: 'tiny JSON', request: { method: 'GET', path: '/' } },
    { file: 'bare-fastify.mjs', server: 'Fastify', case: 'tiny JSON', request: { method: 'GET', path: '/' } },
    {
      file: 'bare-token.mjs',
      server: 'node:http token handler',
      case: 'client_credentials',
      request: {
        method: 'POST',
        path: '/token',
        headers: {
          authorization: `Basic ${Buffer.from('bench-client:bench-secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `grant_type=client_credentials&scope=${encodeURIComponent(SERVICE_SCOPE)}`,
      },
    },
  ];
  for (const entry of bare) {
    const server = await startServer({
      name: entry.server,
      command: process.execPath,
      args: [serverScript(entry.file)],
      port: await freePort(),
      readyPath: '/',
    });
    try {
      await measure({ group: 'limit', server: entry.server, case: entry.case }, server, staticCase(server.base, entry.request));
    } finally {
      await server.stop();
    }
  }
}

async function benchPeer() {
  const port = await freePort();
  const server = await startServer({
    name: 'node-oidc-provider',
    command: process.execPath,
    args: [serverScript('oidc-provider.mjs')],
    port,
    env: { BENCH_CLIENT_ID: 'bench-client', BENCH_CLIENT_SECRET: 'bench-secret', BENCH_REDIRECT_URI: REDIRECT_URI, BENCH_AUDIENCE: AUDIENCE },
    readyPath: '/.well-known/openid-configuration',
  });
  const target = {
    kind: 'oidc-provider',
    base: server.base,
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    redirectUri: REDIRECT_URI,
    serviceScope: SERVICE_SCOPE,
    paths: { authorize: '/auth', token: '/token', introspect: '/token/introspection', discovery: '/.well-known/openid-configuration', jwks: '/jwks' },
  };
  try {
    await benchTarget(target, server, { server: 'node-oidc-provider' }, target, target);
  } finally {
    await server.stop();
  }
}

/** Runs the cases that Gatehouse and node-oidc-provider share. */
async function benchTarget(target, server, row, opaqueClient, jwtClient, eventLoop) {
  const user = (index) => (target.kind === 'gatehouse' ? BENCH_USER : { username: `bench-user-${index}`, password: '' });
  const results = {};
  results.clientCredentials = await measure({ ...row, group: 'token', case: 'client_credentials, opaque' }, server,
    clientCredentialsCase(target, opaqueClient, SERVICE_SCOPE), eventLoop);
  results.jwt = await measure({ ...row, group: 'token', case: 'client_credentials, JWT (ES256)' }, server,
    clientCredentialsCase(target, jwtClient, SERVICE_SCOPE, target.kind === 'oidc-provider' ? AUDIENCE : undefined), eventLoop);
  results.introspection = await measure({ ...row, group: 'token', case: 'introspection' }, server,
    await introspectionCase(target, SERVICE_SCOPE), eventLoop);
  results.refresh = await measure({ ...row, group: 'token', case: 'refresh with rotation' }, server,
    await refreshCase(target, new Browser(target.base), user(0)), eventLoop);
  await measure({ ...row, group: 'metadata', case: 'discovery' }, server,
    staticCase(target.base, { method: 'GET', path: target.paths.discovery }), eventLoop);
  await measure({ ...row, group: 'metadata', case: 'JWKS' }, server, staticCase(target.base, { method: 'GET', path: target.paths.jwks }), eventLoop);
  results.flow1 = await measure({ ...row, group: 'code flow', case: 'code flow, sequential' }, server, codeFlowCase(target, 1, user), eventLoop);
  results.flow20 = await measure({ ...row, group: 'code flow', case: `code flow, ${CONCURRENT_FLOWS} concurrent` }, server,
    codeFlowCase(target, CONCURRENT_FLOWS, user), eventLoop);
  return results;
}

function gatehouseTarget(server, prepared) {
  return {
    kind: 'gatehouse',
    base: server.base,
    clientId: prepared.opaqueClient.clientId,
    clientSecret: prepared.opaqueClient.clientSecret,
    redirectUri: REDIRECT_URI,
    serviceScope: SERVICE_SCOPE,
    paths: { authorize: '/authorize', token: '/token', introspect: '/introspect', discovery: '/.well-known/openid-configuration', jwks: '/jwks' },
  };
}

async function withDatabase(kind, work) {
  const database = await createDatabase(kind);
  cleanups.push(database.drop);
  try {
    return await work(database);
  } finally {
    cleanups.splice(cleanups.indexOf(database.drop), 1);
    await database.drop();
  }
}

async function startMeasuredGatehouse(prepared, name, workFolder) {
  const server = await startGatehouse(prepared, name, {
    cpuProfileDir: flags.profile ? join(workFolder, 'profiles') : undefined,
    eventLoopReport: join(workFolder, `event-loop-${prepared.port}.json`),
  });
  return { server, eventLoop: eventLoopReader(server, join(workFolder, `event-loop-${prepared.port}.json`)) };
}

async function benchGatehouse(kind, workFolder) {
  await withDatabase(kind, async (database) => {
    const prepared = await prepareGatehouse(database);
    const { server, eventLoop } = await startMeasuredGatehouse(prepared, `gatehouse (${kind})`, workFolder);
    try {
      const target = gatehouseTarget(server, prepared);
      await delay(1000);
      rows.push({ group: 'memory', server: 'Gatehouse', database: kind, case: 'idle RSS after start', idleRss: readMemory(server.pid).rss });
      await benchTarget(target, server, { server: 'Gatehouse', database: kind }, prepared.opaqueClient, prepared.jwtClient, eventLoop);
      await measure({ group: 'login load', server: 'Gatehouse', database: kind, case: `client_credentials + ${LOGINS_PER_SECOND} logins/s` },
        server, await tokenUnderLoginsCase(target, BENCH_USER, LOGINS_PER_SECOND), eventLoop);
    } finally {
      await server.stop();
    }
  });
}

async function benchScale(kind, workFolder) {
  await withDatabase(kind, async (database) => {
    const prepared = await prepareGatehouse(database);
    const started = Date.now();
    log(`seeding ${SCALE.users} users and ${SCALE.tokens} access tokens into ${kind}`);
    await seedScaleData(database, prepared, log);
    const seedSeconds = (Date.now() - started) / 1000;
    notes.push(`${kind}: seeding ${SCALE.users} users and ${SCALE.tokens} access tokens took ${seedSeconds.toFixed(0)} s`);
    const { server, eventLoop } = await startMeasuredGatehouse(prepared, `gatehouse (${kind}, seeded)`, workFolder);
    try {
      const target = gatehouseTarget(server, prepared);
      const row = { server: 'Gatehouse', database: `${kind}, 1M tokens` };
      const seededUser = (index) => ({ username: `seed-${(index * 4999) % SCALE.users}`, password: BENCH_USER.password });
      await measure({ ...row, group: 'scale', case: 'introspection' }, server, await introspectionCase(target, SERVICE_SCOPE), eventLoop);
      await measure({ ...row, group: 'scale', case: 'code flow, sequential' }, server, codeFlowCase(target, 1, seededUser), eventLoop);
      await measure({ ...row, group: 'scale', case: `code flow, ${CONCURRENT_FLOWS} concurrent` }, server, codeFlowCase(target, CONCURRENT_FLOWS, seededUser), eventLoop);
    } finally {
      await server.stop();
    }
  });
}

function describeMachine() {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return `${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, CPU ${model}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

async function main() {
  const workFolder = mkdtempSync(join(tmpdir(), 'gatehouse-bench-run-'));
  // The folder contains the event loop reports, and with --profile the CPU profiles, which are kept.
  const removeWorkFolder = async () => {
    if (!flags.profile) rmSync(workFolder, { recursive: true, force: true });
  };
  cleanups.push(removeWorkFolder);
  await runAll(workFolder);
}

async function runAll(workFolder) {
  const started = Date.now();
  log(`machine: ${describeMachine()}`);
  log(`settings: warm-up ${SETTINGS.warmupSeconds} s, ${SETTINGS.runs} runs of ${SETTINGS.runSeconds} s, ${CONNECTIONS} connections`);
  const postgresProblem = await checkPostgres();
  if (postgresProblem !== undefined) notes.push(`PostgreSQL cases skipped: ${postgresProblem}`);
  const kinds = postgresProblem === undefined ? ['sqlite', 'postgres'] : ['sqlite'];

  if (selected('limit')) await benchBareServers();
  if (selected('peer')) await benchPeer();
  for (const kind of kinds) if (selected(`gatehouse ${kind}`)) await benchGatehouse(kind, workFolder);
  if (!flags['skip-scale']) for (const kind of kinds) if (selected(`scale ${kind}`)) await benchScale(kind, workFolder);

  const minutes = (Date.now() - started) / 60_000;
  notes.push(`total run time ${minutes.toFixed(1)} minutes`);
  const report = formatReport(rows, notes, { machine: describeMachine(), settings: SETTINGS, connections: CONNECTIONS, concurrentFlows: CONCURRENT_FLOWS });
  console.log(report);
  if (flags.json !== undefined) writeFileSync(flags.json, JSON.stringify({ machine: describeMachine(), settings: SETTINGS, rows, notes }, null, 2));
  if (flags.profile) {
    const folder = join(workFolder, 'profiles');
    for (const file of readdirSync(folder)) {
      console.log(`\nCPU profile ${join(folder, file)}\n${summarizeProfile(join(folder, file), 25)}`);
    }
  }
}

async function cleanUp() {
  await stopAllServers();
  for (const drop of cleanups.splice(0)) await drop().catch((error) => log(`cleanup failed: ${error.message}`));
}

process.once('SIGINT', () => {
  log('interrupted: stopping servers and dropping databases');
  cleanUp().finally(() => process.exit(130));
});
process.once('exit', killAllServersNow);

try {
  await main();
} catch (error) {
  log(error.stack ?? String(error));
  process.exitCode = 1;
} finally {
  await cleanUp();
}
