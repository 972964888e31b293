import { listLatestAuditEvents } from '../storage/audit-events.js';
import { withDatabase } from './database.js';
import { CliError, parseOptions, printTable } from './output.js';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 10_000;

/** `gatehouse audit tail`: the latest audit events, oldest first. */
export async function runAuditCommand(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand !== 'tail') throw new CliError(`unknown audit command '${subcommand ?? ''}': use tail`, true);
  const options = parseOptions(rest, { limit: { type: 'string' }, json: { type: 'boolean' } });
  const limit = options.limit === undefined ? DEFAULT_LIMIT : Number(options.limit);
  if (!/^\d+$/.test(options.limit ?? '1') || limit < 1 || limit > MAX_LIMIT) {
    throw new CliError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }

  const events = await withDatabase(({ db }) => listLatestAuditEvents(db, limit));
  if (options.json === true) {
    const rows = events.map((event) => ({
      time: new Date(event.occurredAt).toISOString(),
      type: event.type,
      client_id: event.clientId,
      user_id: event.userId,
      detail: event.detail,
    }));
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  printTable(
    ['TIME', 'TYPE', 'CLIENT_ID', 'USER_ID', 'DETAIL'],
    events.map((event) => [
      new Date(event.occurredAt).toISOString(),
      event.type,
      event.clientId ?? '',
      event.userId ?? '',
      event.detail ?? '',
    ]),
  );
  return 0;
}
