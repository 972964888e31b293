import { pruneExpired } from '../storage/maintenance.js';
import { withDatabase } from './database.js';
import { parseOptions } from './output.js';

/** Deletes expired rows once, whatever the sweep schedule. Safe beside running servers. */
export async function runPrune(args: string[]): Promise<number> {
  const options = parseOptions(args, { json: { type: 'boolean' } });
  const deleted = await withDatabase(({ db }) => pruneExpired(db, Date.now()));
  if (options.json === true) {
    console.log(JSON.stringify(deleted));
    return 0;
  }
  for (const [table, count] of Object.entries(deleted)) console.log(`${table}: ${count} deleted`);
  return 0;
}
