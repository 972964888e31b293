#!/usr/bin/env node
// Runs the compiled test files with Node's test runner, once per database.
//
// GATEHOUSE_TEST_DATABASES      comma-separated list of sqlite and postgres (default: both)
// GATEHOUSE_REQUIRE_POSTGRES=1  fail instead of skipping when PostgreSQL does not respond
// GATEHOUSE_REQUIRE_BROWSER=1   make the browser tests fail instead of skipping without Chromium
// GATEHOUSE_TEST_POSTGRES_URL   admin connection for creating test databases
//                               (default postgres://postgres@127.0.0.1:5432/postgres)
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const testRoot = join(root, 'dist', 'test');
const selected = process.argv.slice(2);

function findTestFiles(folder) {
  const files = [];
  for (const entry of readdirSync(folder)) {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) files.push(...findTestFiles(path));
    else if (entry.endsWith('.test.js')) files.push(path);
  }
  return files.sort();
}

async function postgresAnswers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    console.error(`PostgreSQL at ${url} does not respond: ${error.message}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

let files = findTestFiles(testRoot);
if (selected.length > 0) files = files.filter((file) => selected.some((name) => file.includes(name)));
if (files.length === 0) {
  console.error(`no test files found under ${relative(root, testRoot)}; run \`npm run build\` first`);
  process.exit(1);
}

const databases = (process.env.GATEHOUSE_TEST_DATABASES ?? 'sqlite,postgres').split(',').map((name) => name.trim());
const postgresUrl = process.env.GATEHOUSE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
let failed = false;

for (const database of databases) {
  if (database !== 'sqlite' && database !== 'postgres') {
    console.error(`unknown database '${database}' in GATEHOUSE_TEST_DATABASES: use sqlite and postgres`);
    process.exit(2);
  }
  if (database === 'postgres' && !(await postgresAnswers(postgresUrl))) {
    if (process.env.GATEHOUSE_REQUIRE_POSTGRES === '1') {
      console.error('GATEHOUSE_REQUIRE_POSTGRES=1: failing because PostgreSQL is required');
      failed = true;
      continue;
    }
    console.log('SKIPPED: the PostgreSQL run (no server responds; set GATEHOUSE_TEST_POSTGRES_URL)');
    continue;
  }

  console.log(`\n=== tests on ${database} (${files.length} files) ===`);
  const result = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
    { stdio: 'inherit', env: { ...process.env, GATEHOUSE_TEST_DATABASE: database } },
  );
  if (result.status !== 0) failed = true;
}

process.exit(failed ? 1 : 0);
