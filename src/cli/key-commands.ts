import { loadConfiguration } from '../config.js';
import { DEFAULT_SIGNING_ALGORITHM, isSigningAlgorithm, SIGNING_ALGORITHMS } from '../core/oidc/algorithms.js';
import { SigningKeys } from '../keys/signing-keys.js';
import { listAllKeys } from '../storage/signing-keys.js';
import { systemClock } from '../clock.js';
import { withDatabase } from './database.js';
import { CliError, parseOptions, printTable } from './output.js';

export async function runKeyCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case 'list':
      return listKeys(rest);
    case 'rotate':
      return rotateKey(rest);
    default:
      throw new CliError(`unknown keys command '${subcommand ?? ''}': use list or rotate`, true);
  }
}

function describeState(key: { active_for: string | null; unpublish_at: number | null }, now: number): string {
  if (key.active_for !== null) return 'active';
  if (key.unpublish_at !== null && key.unpublish_at > now) return 'retired, published';
  return 'retired';
}

async function listKeys(args: string[]): Promise<number> {
  const options = parseOptions(args, { json: { type: 'boolean' } });
  const keys = await withDatabase(async ({ db }) => {
    await new SigningKeys(db, systemClock).ensureActiveKeys();
    return listAllKeys(db);
  });
  const now = Date.now();
  const toIso = (time: number | null) => (time === null ? '' : new Date(time).toISOString());
  if (options.json === true) {
    const rows = keys.map((key) => ({
      kid: key.kid,
      alg: key.alg,
      state: describeState(key, now),
      created_at: toIso(key.created_at),
      retired_at: toIso(key.retired_at) || null,
      unpublish_at: toIso(key.unpublish_at) || null,
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  printTable(
    ['KID', 'ALG', 'STATE', 'CREATED', 'UNPUBLISHED_AFTER'],
    keys.map((key) => [key.kid, key.alg, describeState(key, now), toIso(key.created_at), toIso(key.unpublish_at)]),
  );
  return 0;
}

async function rotateKey(args: string[]): Promise<number> {
  const options = parseOptions(args, { alg: { type: 'string' }, json: { type: 'boolean' } });
  const alg = options.alg ?? DEFAULT_SIGNING_ALGORITHM;
  if (!isSigningAlgorithm(alg)) {
    throw new CliError(`unsupported --alg '${alg}': use ${SIGNING_ALGORITHMS.join(', ')}`);
  }
  const config = loadConfiguration();
  // The old key must verify every token it signed, so it stays published for the longest lifetime.
  const retentionSeconds = Math.max(config.idTokenSeconds, config.accessTokenSeconds);
  const kid = await withDatabase(async ({ db }) => {
    const keys = new SigningKeys(db, systemClock);
    await keys.ensureActiveKeys([alg]);
    return keys.rotate(alg, retentionSeconds);
  });
  if (options.json === true) console.log(JSON.stringify({ kid, alg, previous_key_published_for_seconds: retentionSeconds }));
  else {
    console.log(`new active ${alg} key ${kid}; the previous key stays in the JWKS for ${retentionSeconds} s`);
    console.log('(from the token lifetimes in this shell: run keys rotate with the same GATEHOUSE_* settings as the server)');
  }
  return 0;
}
