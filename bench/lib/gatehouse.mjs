import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { freePort, runCommand, startServer } from './processes.mjs';

/**
 * The `gatehouse` command of this checkout. BENCH_GATEHOUSE_BIN may name another build's
 * bin/gatehouse.js, to compare a change with the code before it on the same machine.
 */
const GATEHOUSE_BIN = process.env.BENCH_GATEHOUSE_BIN || fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));
const EVENT_LOOP_PROBE = fileURLToPath(new URL('./event-loop-probe.mjs', import.meta.url));
export const POSTGRES_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The redirect URI registered for the benchmark clients. Nothing ever requests it. */
export const REDIRECT_URI = 'https://app.example.com/callback';
/** A scope that is not about a user, so the client credentials grant may receive it. */
export const SERVICE_SCOPE = 'api:read';
export const BENCH_USER = { username: 'bench-user', password: 'bench password 1' };

/**
 * Returns undefined when a PostgreSQL server accepts connections as user postgres on
 * 127.0.0.1:5432, or the reason it does not.
 */
export async function checkPostgres() {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `no PostgreSQL server answered on 127.0.0.1:5432 as user postgres (${error.message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates an empty database: a SQLite file in a new temporary folder, or a new PostgreSQL
 * database on 127.0.0.1:5432. `drop` deletes it.
 * @param {'sqlite' | 'postgres'} kind
 */
export async function createDatabase(kind) {
  if (kind === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
    const path = join(folder, 'gatehouse.sqlite');
    return { kind, url: `sqlite:${path}`, path, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const name = `gatehouse_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

function gatehouseEnvironment(databaseUrl, port) {
  return {
    GATEHOUSE_DATABASE_URL: databaseUrl,
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}`,
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_SWEEP_INTERVAL: '0',
  };
}

function gatehouseCli(args, env, input) {
  return runCommand(process.execPath, [GATEHOUSE_BIN, ...args], { env, input });
}

/**
 * Migrates a database and registers, through the `gatehouse` command, the benchmark user and
 * two confidential clients for every grant: one with opaque access tokens and one with JWT
 * access tokens. Returns the port the server will use and the clients' credentials.
 */
export async function prepareGatehouse(database) {
  const port = await freePort();
  const env = gatehouseEnvironment(database.url, port);
  await gatehouseCli(['migrate'], env);
  await gatehouseCli(['user', 'create', '--username', BENCH_USER.username, '--password-stdin'], env, `${BENCH_USER.password}\n`);
  const clientArgs = [
    'client', 'create', '--redirect-uri', REDIRECT_URI,
    '--scope', `openid profile email offline_access ${SERVICE_SCOPE}`,
    '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--grant-type', 'client_credentials',
    '--json',
  ];
  const opaque = JSON.parse(await gatehouseCli([...clientArgs, '--name', 'Bench opaque'], env));
  const jwt = JSON.parse(await gatehouseCli([...clientArgs, '--name', 'Bench JWT', '--access-token-format', 'jwt'], env));
  return {
    port,
    env,
    opaqueClient: { clientId: opaque.client_id, clientSecret: opaque.client_secret },
    jwtClient: { clientId: jwt.client_id, clientSecret: jwt.client_secret },
  };
}

/**
 * Starts `gatehouse serve` on a prepared database. With `cpuProfileDir`, Node writes a
 * .cpuprofile there when the server stops. The event loop probe reports the server's event loop
 * delay to the file that `eventLoopReport` names.
 */
export function startGatehouse(prepared, name, { cpuProfileDir, eventLoopReport } = {}) {
  const nodeArgs = ['--import', EVENT_LOOP_PROBE];
  if (cpuProfileDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`);
  return startServer({
    name,
    command: process.execPath,
    args: [...nodeArgs, GATEHOUSE_BIN, 'serve'],
    port: prepared.port,
    env: { ...prepared.env, BENCH_EVENT_LOOP_REPORT: eventLoopReport ?? '' },
    readyPath: '/.well-known/openid-configuration',
  });
}

export const SCALE = { users: 100_000, tokens: 1_000_000 };

/**
 * Adds SCALE.users users, one remembered authorization and one token family per user for the
 * opaque client, and SCALE.tokens live access tokens spread over those families, in batches
 * through SQL. Every seeded user has the benchmark user's password hash, so any of them can log in.
 * Seeded user number i is named `seed-i`.
 */
export async function seedScaleData(database, prepared, log) {
  const clientId = prepared.opaqueClient.clientId;
  const now = Date.now();
  const expiresAt = now + 30 * 24 * 3600 * 1000;
  const scopes = JSON.stringify(['openid', 'profile']);
  if (database.kind === 'sqlite') seedSqlite(database.path, { clientId, now, expiresAt, scopes }, log);
  else await seedPostgres(database.url, { clientId, now, expiresAt, scopes }, log);
}

function seedSqlite(path, { clientId, now, expiresAt, scopes }, log) {
  const db = new SqliteDatabase(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const { password_hash: passwordHash } = db.prepare('SELECT password_hash FROM users WHERE username = ?').get(BENCH_USER.username);
    const insertUser = db.prepare(
      'INSERT INTO users (id, username, password_hash, name, email, email_verified, created_at, updated_at) VALUES (?, ?, ?, NULL, NULL, 0, ?, ?)',
    );
    const insertGrant = db.prepare(
      'INSERT INTO grants (id, user_id, client_id, scopes, created_at, updated_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
    );
    const insertFamily = db.prepare(
      'INSERT INTO token_families (id, client_id, user_id, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)',
    );
    const insertToken = db.prepare(
      `INSERT INTO access_tokens (token_hash, family_id, client_id, user_id, scopes, created_at, expires_at, revoked_at, claims, resource, jti)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?)`,
    );
    const batch = 10_000;
    const insertUsers = db.transaction((from, to) => {
      for (let index = from; index < to; index += 1) {
        const userId = `seed-u-${index}`;
        insertUser.run(userId, `seed-${index}`, passwordHash, now, now);
        insertGrant.run(`seed-g-${index}`, userId, clientId, scopes, now, now);
        insertFamily.run(`seed-f-${index}`, clientId, userId, now, expiresAt);
      }
    });
    for (let from = 0; from < SCALE.users; from += batch) insertUsers(from, Math.min(SCALE.users, from + batch));
    log(`  seeded ${SCALE.users} users, grants and token families`);
    const insertTokens = db.transaction((from, to) => {
      for (let index = from; index < to; index += 1) {
        const family = index % SCALE.users;
        insertToken.run(seedTokenHash(index), `seed-f-${family}`, clientId, `seed-u-${family}`, scopes, now, expiresAt, `seed-j-${index}`);
      }
    });
    for (let from = 0; from < SCALE.tokens; from += batch) insertTokens(from, Math.min(SCALE.tokens, from + batch));
    // Statistics for the planner, and the write-ahead log folded into the file, so the
    // measurement does not pay for the seed's writes.
    db.exec('ANALYZE');
    db.pragma('wal_checkpoint(TRUNCATE)');
    log(`  seeded ${SCALE.tokens} access tokens`);
  } finally {
    db.close();
  }
}

/** Computes the stored hash of seeded token number `index`, as the PostgreSQL seed does. */
function seedTokenHash(index) {
  return createHash('sha256').update(`seed-token-${index}`).digest('base64url');
}

async function seedPostgres(url, { clientId, now, expiresAt, scopes }, log) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const batch = 100_000;
    const { rows } = await client.query('SELECT password_hash FROM users WHERE username = $1', [BENCH_USER.username]);
    const passwordHash = rows[0].password_hash;
    for (let from = 0; from < SCALE.users; from += batch) {
      const to = Math.min(SCALE.users, from + batch) - 1;
      await client.query(
        `INSERT INTO users (id, username, password_hash, name, email, email_verified, created_at, updated_at)
         SELECT 'seed-u-' || g, 'seed-' || g, $1, NULL, NULL, 0, $2, $2 FROM generate_series($3::int, $4::int) AS g`,
        [passwordHash, now, from, to],
      );
      await client.query(
        `INSERT INTO grants (id, user_id, client_id, scopes, created_at, updated_at, last_used_at)
         SELECT 'seed-g-' || g, 'seed-u-' || g, $1, $2, $3, $3, NULL FROM generate_series($4::int, $5::int) AS g`,
        [clientId, scopes, now, from, to],
      );
      await client.query(
        `INSERT INTO token_families (id, client_id, user_id, created_at, expires_at, revoked_at)
         SELECT 'seed-f-' || g, $1, 'seed-u-' || g, $2, $3, NULL FROM generate_series($4::int, $5::int) AS g`,
        [clientId, now, expiresAt, from, to],
      );
    }
    log(`  seeded ${SCALE.users} users, grants and token families`);
    for (let from = 0; from < SCALE.tokens; from += batch) {
      const to = Math.min(SCALE.tokens, from + batch) - 1;
      // The same hash as seedTokenHash: base64url without padding of SHA-256.
      await client.query(
        `INSERT INTO access_tokens (token_hash, family_id, client_id, user_id, scopes, created_at, expires_at, revoked_at, claims, resource, jti)
         SELECT rtrim(translate(encode(sha256(convert_to('seed-token-' || g, 'UTF8')), 'base64'), '+/', '-_'), '='),
                'seed-f-' || (g % $1), $2, 'seed-u-' || (g % $1), $3, $4, $5, NULL, NULL, NULL, 'seed-j-' || g
         FROM generate_series($6::int, $7::int) AS g`,
        [SCALE.users, clientId, scopes, now, expiresAt, from, to],
      );
    }
    // Statistics for the planner, and the seed's writes flushed, so the measurement does not pay for them.
    await client.query('VACUUM ANALYZE');
    await client.query('CHECKPOINT');
    log(`  seeded ${SCALE.tokens} access tokens`);
  } finally {
    await client.end();
  }
}
