import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadConfiguration } from '../../src/config.js';
import { generateId, generateSecret, hashSecret } from '../../src/core/secrets.js';
import { createGatehouse, type Gatehouse } from '../../src/server.js';
import { insertClient } from '../../src/storage/clients.js';
import { TEST_DATABASE_KIND } from '../support/database.js';
import { findFreePort } from '../support/gatehouse.js';

/** Debian installs PostgreSQL's server programs under /usr/lib/postgresql/VERSION/bin. */
function findPostgresBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

const binaries = findPostgresBinaries();
const skipReason =
  TEST_DATABASE_KIND !== 'postgres'
    ? 'runs in the PostgreSQL pass only'
    : binaries === undefined && process.env.GATEHOUSE_REQUIRE_POSTGRES !== '1'
      ? 'initdb and pg_ctl were not found under /usr/lib/postgresql'
      : false;

/**
 * A private PostgreSQL server in a temporary folder, so stopping it never disturbs the shared
 * server. initdb refuses to run as root, so as root the server runs as the postgres user.
 */
class PrivatePostgres {
  readonly folder = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  readonly dataDirectory = join(this.folder, 'data');

  constructor(
    private readonly bin: string,
    readonly port: number,
  ) {}

  private run(program: string, args: string[]): void {
    const command = join(this.bin, program);
    if (process.getuid?.() === 0) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
    else execFileSync(command, args, { stdio: 'pipe' });
  }

  init(): void {
    if (process.getuid?.() === 0) {
      const { uid, gid } = postgresAccount();
      chownSync(this.folder, uid, gid);
    }
    this.run('initdb', ['-D', this.dataDirectory, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  }

  start(): void {
    const options = `-p ${this.port} -k ${this.folder} -c listen_addresses=127.0.0.1 -c fsync=off`;
    this.run('pg_ctl', ['-D', this.dataDirectory, '-o', options, '-l', join(this.folder, 'server.log'), '-w', 'start']);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', this.dataDirectory, '-m', 'fast', '-w', 'stop']);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  remove(): void {
    try {
      this.stop();
    } catch {
      // Already stopped.
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}

function postgresAccount(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

describe('database outage', { skip: skipReason }, () => {
  let server: PrivatePostgres;
  let gatehouse: Gatehouse;
  const logLines: Array<{ msg?: string; level?: number }> = [];
  const clientId = generateId();
  const clientSecret = generateSecret();

  before(async () => {
    assert.ok(binaries, 'initdb and pg_ctl are required when GATEHOUSE_REQUIRE_POSTGRES=1');
    server = new PrivatePostgres(binaries, await findFreePort());
    server.init();
    server.start();

    const logStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        callback();
      },
    });
    const config = loadConfiguration({ GATEHOUSE_DATABASE_URL: server.url, GATEHOUSE_DATABASE_POOL_SIZE: '3' });
    gatehouse = await createGatehouse(config, { logger: { level: 'info', stream: logStream } });
    await insertClient(gatehouse.database.db, {
      id: clientId,
      name: 'Outage Client',
      secretHash: hashSecret(clientSecret),
      redirectUris: ['https://app.example.com/callback'],
      allowedScopes: ['api:read'],
      grantTypes: ['authorization_code', 'client_credentials'],
      tokenEndpointAuthMethod: 'client_secret_basic',
      requirePkce: true,
      now: Date.now(),
    });
  });

  after(async () => {
    await gatehouse?.close();
    server?.remove();
  });

  const requestToken = () =>
    gatehouse.app.inject({
      method: 'POST',
      url: '/token',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    });

  it('answers 503 while down and recovers', async () => {
    assert.equal((await requestToken()).statusCode, 200, 'tokens are issued while the database runs');

    server.stop();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await requestToken();
      assert.equal(response.statusCode, 503, `token request ${attempt} during the outage`);
      assert.equal(response.json().error, 'temporarily_unavailable');
      assert.doesNotMatch(response.body, /at .*\.js|ECONNREFUSED|stack/i, 'no internal detail in the body');
      assert.equal(response.headers['retry-after'], '5');
    }
    const page = await gatehouse.app.inject({ method: 'GET', url: `/authorize?client_id=${clientId}` });
    assert.equal(page.statusCode, 503, 'pages answer 503 too');
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.match(page.body, /Temporarily unavailable/);
    const outageLogs = logLines.filter((line) => line.msg === 'database unavailable');
    assert.equal(outageLogs.length, 1, 'the outage is logged once, not once per request');

    server.start();
    let recovered = false;
    for (let attempt = 0; attempt < 50 && !recovered; attempt += 1) {
      recovered = (await requestToken()).statusCode === 200;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(recovered, 'tokens are issued again after the database returns, without a restart');
    assert.ok(
      logLines.some((line) => line.msg === 'database available again'),
      'the recovery is logged',
    );
  });
});
