import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { loadConfiguration } from '../../src/config.js';
import { createGatehouse } from '../../src/server.js';
import { BrowserSession, formValue } from '../support/browser-session.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { GATEHOUSE_BIN } from '../support/processes.js';
import { basicAuthorization } from '../support/token-requests.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A line of a Node.js stack trace, which a user error must never print. */
const STACK_TRACE_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe('gatehouse CLI', () => {
  let database: TestDatabase;

  /** Runs `node bin/gatehouse.js ARGS` against the test database, writing `stdin` to its standard input. */
  function runCli(args: string[], stdin = ''): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [GATEHOUSE_BIN, ...args], {
        env: {
          ...process.env,
          GATEHOUSE_DATABASE_URL: database.url,
          GATEHOUSE_LOG_LEVEL: 'silent',
          GATEHOUSE_ALLOW_INSECURE_REDIRECT_URIS: 'false',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  function assertUserError(result: CliResult, message: string): void {
    assert.notEqual(result.code, 0, `${message}: the exit code is not 0`);
    assert.doesNotMatch(result.stderr, STACK_TRACE_LINE, `${message}: no stack trace`);
    assert.match(result.stderr, /^gatehouse: /, `${message}: the message starts with the program name`);
  }

  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database.drop());

  it('migrates the database', async () => {
    const first = await runCli(['migrate']);
    assert.equal(first.code, 0, `migrate exits 0: ${first.stderr}`);
    assert.match(first.stdout, /applied 0001-initial/, 'the first migration is applied');
    assert.match(first.stdout, /is up to date/, 'the database is reported up to date');

    const second = await runCli(['migrate']);
    assert.equal(second.code, 0, `a second migrate exits 0: ${second.stderr}`);
    assert.match(second.stdout, /\(0 migrations applied now\)/, 'nothing is left to apply');
  });

  it('creates a user with a piped password', async () => {
    const result = await runCli(
      ['user', 'create', '--username', 'alice', '--password-stdin', '--name', 'Alice Example', '--email', 'alice@example.com'],
      'correct horse battery staple\n',
    );
    assert.equal(result.code, 0, `user create exits 0: ${result.stderr}`);
    assert.match(result.stdout, /created user 'alice'/, 'the user is reported');
    assert.doesNotMatch(result.stdout, /correct horse/, 'the password is not printed');

    const list = await runCli(['user', 'list']);
    assert.equal(list.code, 0, `user list exits 0: ${list.stderr}`);
    assert.match(list.stdout, /alice\s+Alice Example\s+alice@example\.com/, 'the list shows username, name and email');
  });

  it('rejects a duplicate username', async () => {
    const result = await runCli(['user', 'create', '--username', 'alice', '--password-stdin'], 'another password 123\n');
    assertUserError(result, 'a duplicate username');
    assert.match(result.stderr, /a user named 'alice' already exists/, 'the message names the username');

    const list = await runCli(['user', 'list', '--json']);
    const users = JSON.parse(list.stdout) as Array<{ username: string }>;
    assert.equal(users.filter((user) => user.username === 'alice').length, 1, 'there is still one alice');
  });

  it('rejects a short password', async () => {
    const result = await runCli(['user', 'create', '--username', 'bob', '--password-stdin'], 'short\n');
    assertUserError(result, 'a short password');
    assert.match(result.stderr, /at least 8 characters/, 'the message states the minimum length');
  });

  it('rejects clients that could never work', async () => {
    const base = ['client', 'create', '--name', 'Unusable', '--redirect-uri', 'https://app.example.com/cb'];
    const refreshOnly = await runCli([...base, '--grant-type', 'refresh_token']);
    assertUserError(refreshOnly, 'refresh_token alone');
    assert.match(refreshOnly.stderr, /needs authorization_code or the device code grant/, 'the message names the missing grant');
    const noScope = await runCli([...base, '--scope', ' ']);
    assertUserError(noScope, 'an empty scope');
    assert.match(noScope.stderr, /at least one scope/, 'the message names the problem');
    const emptyName = await runCli(['client', 'create', '--name', ' ', '--redirect-uri', 'https://app.example.com/cb']);
    assert.match(emptyName.stderr, /--name must not be empty/, 'an empty name is named as such');
    const clients = JSON.parse((await runCli(['client', 'list', '--json'])).stdout) as Array<{ name: string }>;
    assert.equal(clients.some((client) => client.name === 'Unusable'), false, 'no client was created');
  });

  it('rejects an option given twice', async () => {
    const result = await runCli(['user', 'disable', '--username', 'nobody-1', '--username', 'nobody-2']);
    assertUserError(result, 'two usernames');
    assert.match(result.stderr, /option --username given more than once/, 'the message names the option');
  });

  it('rejects passwords a browser cannot send', async () => {
    for (const password of ['abc\u0000defghijk', '\n'.repeat(9), 'tab\tseparated password']) {
      const result = await runCli(['user', 'create', '--username', 'unusable', '--password-stdin'], `${password}\n`);
      assertUserError(result, `password ${JSON.stringify(password)}`);
      assert.match(result.stderr, /control characters or line breaks/, 'the message names the problem');
    }
    const users = JSON.parse((await runCli(['user', 'list', '--json'])).stdout) as Array<{ username: string }>;
    assert.equal(users.some((user) => user.username === 'unusable'), false, 'no user was created');
  });

  it('rejects names with control characters', async () => {
    const names = ['Red\u001b[31m App', 'Bell\u0007', 'Reversed \u202Eppa'];
    for (const name of names) {
      const client = await runCli(['client', 'create', '--name', name, '--redirect-uri', 'https://app.example.com/cb']);
      assertUserError(client, `client name ${JSON.stringify(name)}`);
      assert.match(client.stderr, /must not contain control characters/, 'the message names the problem');
      const user = await runCli(['user', 'create', '--username', 'ctrl', '--password-stdin', '--name', name], 'long enough password\n');
      assertUserError(user, `user name ${JSON.stringify(name)}`);
    }
    const email = await runCli(['user', 'create', '--username', 'ctrl', '--password-stdin', '--email', 'a\u001b@example.com'], 'long enough password\n');
    assertUserError(email, 'an email address with an escape character');
    assert.doesNotMatch(email.stderr, /\u001b/, 'the message does not send the escape character to the terminal');
    const list = JSON.parse((await runCli(['client', 'list', '--json'])).stdout) as Array<{ name: string }>;
    assert.equal(list.some((client) => names.includes(client.name)), false, 'no client was created');
  });

  it('creates a confidential client', async () => {
    const result = await runCli([
      'client',
      'create',
      '--name',
      'Photo Printer',
      '--redirect-uri',
      'https://printer.example.com/callback',
      '--redirect-uri',
      'http://127.0.0.1:8080/callback',
      '--json',
    ]);
    assert.equal(result.code, 0, `client create exits 0: ${result.stderr}`);
    const created = JSON.parse(result.stdout) as { client_id?: unknown; client_secret?: unknown };
    assert.equal(typeof created.client_id, 'string', 'client_id is printed');
    assert.equal(typeof created.client_secret, 'string', 'client_secret is printed');
    assert.ok(String(created.client_secret).length >= 43, 'the secret carries at least 256 bits');

    const list = await runCli(['client', 'list']);
    assert.equal(list.code, 0, `client list exits 0: ${list.stderr}`);
    const row = list.stdout.split('\n').find((line) => line.startsWith(String(created.client_id)));
    assert.ok(row !== undefined, 'the list has a row for the client');
    assert.match(row, /Photo Printer/, 'the row shows the name');
    assert.match(row, /confidential/, 'the row shows the type');
    assert.match(row, /https:\/\/printer\.example\.com\/callback http:\/\/127\.0\.0\.1:8080\/callback/, 'the row shows both URIs');
    assert.doesNotMatch(list.stdout, new RegExp(String(created.client_secret)), 'the list never shows the secret');
  });

  it('grants only the code flow by default', async () => {
    const result = await runCli(['client', 'create', '--name', 'Default Grants', '--redirect-uri', 'https://grants.example.com/cb', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const { client_id: clientId } = JSON.parse(result.stdout) as { client_id: string };
    const list = JSON.parse((await runCli(['client', 'list', '--json'])).stdout) as Array<{ client_id: string; grant_types: string[] }>;
    const listed = list.find((client) => client.client_id === clientId);
    assert.deepEqual(listed?.grant_types, ['authorization_code', 'refresh_token'], 'client_credentials must be asked for');
  });

  it('creates a public client without secret', async () => {
    const result = await runCli([
      'client',
      'create',
      '--name',
      'Desktop App',
      '--redirect-uri',
      'http://127.0.0.1/callback',
      '--public',
      '--json',
    ]);
    assert.equal(result.code, 0, `client create --public exits 0: ${result.stderr}`);
    const created = JSON.parse(result.stdout) as { client_id?: unknown; client_secret?: unknown };
    assert.equal(typeof created.client_id, 'string', 'client_id is printed');
    assert.equal('client_secret' in created, false, 'no client_secret for a public client');

    const list = await runCli(['client', 'list', '--json']);
    const clients = JSON.parse(list.stdout) as Array<{ client_id: string; type: string }>;
    assert.equal(clients.find((client) => client.client_id === created.client_id)?.type, 'public', 'the list shows it public');
  });

  const invalidRedirectUris: Array<{ uri: string; problem: RegExp }> = [
    { uri: 'http://example.com/cb', problem: /must use https unless the host is a loopback address/ },
    { uri: 'https://app.example.com/cb#section', problem: /must not contain a fragment/ },
    { uri: 'javascript:alert(1)', problem: /must not use the 'javascript:' scheme/ },
  ];
  for (const { uri, problem } of invalidRedirectUris) {
    it(`rejects redirect URI ${uri}`, async () => {
      const name = `Rejected ${uri}`;
      const result = await runCli(['client', 'create', '--name', name, '--redirect-uri', uri]);
      assertUserError(result, uri);
      assert.ok(result.stderr.includes(`invalid --redirect-uri '${uri}'`), `the message names the URI: ${result.stderr}`);
      assert.match(result.stderr, problem, 'the message names the problem');

      const list = await runCli(['client', 'list', '--json']);
      const clients = JSON.parse(list.stdout) as Array<{ name: string }>;
      assert.equal(clients.some((client) => client.name === name), false, 'no client was created');
    });
  }

  it('creates credentials the server accepts', async () => {
    const created = JSON.parse(
      (
        await runCli([
          'client', 'create', '--name', 'Service', '--redirect-uri', 'https://service.example.com/cb',
          '--grant-type', 'authorization_code', '--grant-type', 'client_credentials', '--json',
        ])
      )
        .stdout,
    ) as { client_id: string; client_secret: string };

    const gatehouse = await createGatehouse(
      loadConfiguration({ GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_DATABASE_POOL_SIZE: '2' }),
      { logger: false },
    );
    try {
      const token = await gatehouse.app.inject({
        method: 'POST',
        url: '/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuthorization(created.client_id, created.client_secret),
        },
        payload: 'grant_type=client_credentials',
      });
      assert.equal(token.statusCode, 200, `the printed secret authenticates the client: ${token.body}`);

      const browser = new BrowserSession(gatehouse.app);
      const page = await browser.get('/login');
      const login = await browser.postForm('/login', {
        csrf_token: formValue(page.body, 'csrf_token'),
        username: 'alice',
        password: 'correct horse battery staple',
      });
      assert.equal(login.statusCode, 303, 'the piped password signs the user in');

      const changed = await runCli(['user', 'set-password', '--username', 'alice', '--password-stdin'], 'a new long passphrase\n');
      assert.equal(changed.code, 0, changed.stderr);
      assert.match(changed.stdout, /login sessions ended: 1, app token families revoked: 0/, 'the output says what ended');
      const home = await browser.get('/');
      assert.doesNotMatch(home.body, /sign out|Sign out/, 'the session opened with the old password has ended');
    } finally {
      await gatehouse.close();
    }
  });

  it('disables and enables a user', async () => {
    const created = await runCli(['user', 'create', '--username', 'dora', '--password-stdin'], 'dora long passphrase\n');
    assert.equal(created.code, 0, created.stderr);

    const disabled = await runCli(['user', 'disable', '--username', 'dora']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /disabled user 'dora'/, 'the output confirms the disable');
    const again = await runCli(['user', 'disable', '--username', 'dora']);
    assert.match(again.stdout, /already disabled/, 'a second disable says so');
    const listed = JSON.parse((await runCli(['user', 'list', '--json'])).stdout) as Array<{ username: string; disabled_at: string | null }>;
    assert.equal(typeof listed.find((user) => user.username === 'dora')?.disabled_at, 'string', 'the list shows when dora was disabled');
    assert.match((await runCli(['user', 'list'])).stdout, /dora.*disabled/, 'the table shows the status');

    const gatehouse = await createGatehouse(
      loadConfiguration({ GATEHOUSE_DATABASE_URL: database.url, GATEHOUSE_DATABASE_POOL_SIZE: '2' }),
      { logger: false },
    );
    try {
      const logIn = async () => {
        const browser = new BrowserSession(gatehouse.app);
        const page = await browser.get('/login');
        return browser.postForm('/login', {
          csrf_token: formValue(page.body, 'csrf_token'),
          username: 'dora',
          password: 'dora long passphrase',
        });
      };
      assert.equal((await logIn()).statusCode, 403, 'a disabled user cannot log in');

      const enabled = await runCli(['user', 'enable', '--username', 'dora']);
      assert.equal(enabled.code, 0, enabled.stderr);
      assert.match(enabled.stdout, /enabled user 'dora'/, 'the output confirms the enable');
      assert.equal((await logIn()).statusCode, 303, 'the enabled user can log in again');
    } finally {
      await gatehouse.close();
    }

    assertUserError(await runCli(['user', 'disable', '--username', 'nobody']), 'an unknown user');
  });
});
