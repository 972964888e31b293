import type { Database } from '../../src/storage/schema.js';
import type { TestGatehouse } from './gatehouse.js';

/** Counts the rows of one table, to check that a rejected request stored nothing. */
export async function countRows(gatehouse: TestGatehouse, table: keyof Database): Promise<number> {
  const row = await gatehouse.database.db
    .selectFrom(table)
    .select((expression) => expression.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Returns every row of one table as JSON text, to search it for values that must not be stored. */
export async function dumpTable(gatehouse: TestGatehouse, table: keyof Database): Promise<string> {
  const rows = await gatehouse.database.db.selectFrom(table).selectAll().execute();
  return JSON.stringify(rows);
}
