import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, type LogEvent, PostgresDialect, SqliteDialect, type SqliteDatabase as SqliteDialectDatabase } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  kind: DatabaseKind;
  health: DatabaseHealth;
  close(): Promise<void>;
}

/**
 * Tracks whether the database responds, so an outage is logged once when it starts and once when
 * it ends instead of once per failed request.
 */
export class DatabaseHealth {
  private down = false;
  private onRecovery: (() => void) | undefined;

  /** Records a failed query. Returns true when this failure starts a new outage. */
  recordFailure(): boolean {
    if (this.down) return false;
    this.down = true;
    return true;
  }

  recordSuccess(): void {
    if (!this.down) return;
    this.down = false;
    this.onRecovery?.();
  }

  whenRecovered(listener: () => void): void {
    this.onRecovery = listener;
  }
}

export interface DatabaseOptions {
  /** Connections in the PostgreSQL pool. SQLite always uses one connection. */
  poolSize?: number;
}

// PostgreSQL returns int8 as strings to avoid precision loss. Every int8 column here contains
// milliseconds since the epoch, well inside Number.MAX_SAFE_INTEGER.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

/**
 * Opens the database named by a URL: `sqlite:PATH` (a file, created with its folder when missing),
 * `sqlite::memory:`, or `postgres://...` / `postgresql://...`.
 */
export function openDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgres(url, options);
  throw new Error(`unsupported database URL scheme in '${redactDatabaseUrl(url)}': use sqlite:PATH or postgres://`);
}

function openSqlite(path: string): DatabaseHandle {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const connection = new SqliteDatabase(inMemory ? ':memory:' : path);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  const health = new DatabaseHealth();
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(connection) }),
    log: trackHealth(health),
  });
  return { db, kind: 'sqlite', health, close: () => db.destroy() };
}

/** Distinct SQL texts kept prepared; the oldest is dropped beyond this. */
const MAX_CACHED_STATEMENTS = 500;

/**
 * Wraps the connection so that each distinct SQL text is prepared once. Kysely's SQLite driver
 * calls prepare() for every query, which took 13% of the token endpoint's CPU time (see
 * docs/benchmarks.md). Sharing a statement is safe because Kysely runs one query at a time on
 * its single SQLite connection and reads every result completely before releasing it.
 */
function withStatementCache(connection: SqliteDatabase.Database): SqliteDialectDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => connection.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = connection.prepare(sql);
        if (statements.size >= MAX_CACHED_STATEMENTS) {
          const oldest = statements.keys().next().value;
          if (oldest !== undefined) statements.delete(oldest);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

function openPostgres(url: string, options: DatabaseOptions): DatabaseHandle {
  // A bounded connect time turns an unreachable server into a 503 instead of a request that hangs.
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, connectionTimeoutMillis: 5000 });
  // A client whose connection drops emits 'error': on the pool while idle, on the client itself
  // while checked out. Without listeners either would end the process. The query in flight, or
  // the next one, reports the failure instead.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const health = new DatabaseHealth();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: trackHealth(health) });
  return { db, kind: 'postgres', health, close: () => db.destroy() };
}

function trackHealth(health: DatabaseHealth): (event: LogEvent) => void {
  return (event) => {
    if (event.level === 'query') health.recordSuccess();
  };
}

/** Hides the password in a database URL, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
