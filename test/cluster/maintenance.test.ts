import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { acquireLease, pruneExpired } from '../../src/storage/maintenance.js';
import { MIGRATION_NAMES } from '../../src/storage/migrate.js';
import { BrowserSession } from '../support/browser-session.js';
import { createTestDatabase } from '../support/database.js';
import { authorize, exchangeCode } from '../support/flows.js';
import { startTestGatehouse, type TestGatehouse } from '../support/gatehouse.js';
import { accessTokenWorks } from '../support/oauth-checks.js';
import { GATEHOUSE_BIN } from '../support/processes.js';

const run = promisify(execFile);

async function countRows(gatehouse: TestGatehouse, table: 'access_tokens' | 'refresh_tokens' | 'sessions' | 'authorization_codes') {
  const row = await gatehouse.database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

describe('expired row sweep', () => {
  let gatehouse: TestGatehouse;

  before(async () => {
    gatehouse = await startTestGatehouse();
  });
  after(() => gatehouse.stop());

  it('deletes expired rows and keeps live ones', async () => {
    const client = await gatehouse.createClient();
    const user = await gatehouse.createUser();
    const expiring = await exchangeCode(gatehouse, client, await authorize(new BrowserSession(gatehouse.app), client, user));
    assert.equal(expiring.statusCode, 200);

    // Past the access token and session lifetimes, but inside the refresh token lifetime.
    gatehouse.clock.advance(gatehouse.config.sessionSeconds + 1);
    const live = await exchangeCode(gatehouse, client, await authorize(new BrowserSession(gatehouse.app), client, user));
    assert.equal(live.statusCode, 200);
    assert.equal(await countRows(gatehouse, 'access_tokens'), 2);

    // Sweeps from several processes at once must neither fail nor delete live rows.
    const results = await Promise.all(Array.from({ length: 5 }, () => pruneExpired(gatehouse.database.db, gatehouse.clock.now())));
    const deletedAccessTokens = results.reduce((sum, result) => sum + result.accessTokens, 0);
    assert.equal(deletedAccessTokens, 1, 'the expired access token is deleted exactly once');
    assert.equal(await countRows(gatehouse, 'access_tokens'), 1, 'the live access token stays');
    assert.equal(await countRows(gatehouse, 'refresh_tokens'), 2, 'unexpired refresh tokens stay');
    assert.equal(await countRows(gatehouse, 'sessions'), 1, 'the expired session is deleted and the new one stays');

    assert.equal(await accessTokenWorks(gatehouse, live.json().access_token), true, 'the live token still works after the sweep');
  });

  it('gives the lease to one holder', async () => {
    const { db } = gatehouse.database;
    const now = gatehouse.clock.now();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) => acquireLease(db, 'test-lease', `holder-${index}`, now, 60_000)),
    );
    assert.equal(outcomes.filter(Boolean).length, 1, 'exactly one of ten concurrent claims wins');
    assert.equal(await acquireLease(db, 'test-lease', 'late-holder', now + 30_000, 60_000), false, 'the lease holds until it expires');
    assert.equal(await acquireLease(db, 'test-lease', 'late-holder', now + 60_000, 60_000), true, 'an expired lease can be taken');
  });
});

describe('migrate and prune commands', () => {
  it('migrate runs from three processes at once', async () => {
    const database = await createTestDatabase();
    try {
      const environment = { ...process.env, GATEHOUSE_DATABASE_URL: database.url };
      const runs = await Promise.all(
        Array.from({ length: 3 }, () => run(process.execPath, [GATEHOUSE_BIN, 'migrate'], { env: environment })),
      );
      for (const result of runs) assert.match(result.stdout, /is up to date/);
      const applied = runs.map((result) => (result.stdout.match(/^applied /gm) ?? []).length);
      assert.equal(
        applied.reduce((sum, count) => sum + count, 0),
        MIGRATION_NAMES.length,
        `each migration is applied by exactly one process, got ${applied.join(', ')}`,
      );

      const prune = await run(process.execPath, [GATEHOUSE_BIN, 'prune', '--json'], { env: environment });
      const deleted = JSON.parse(prune.stdout);
      assert.equal(deleted.accessTokens, 0, 'an empty database has nothing to prune');
    } finally {
      await database.drop();
    }
  });
});
