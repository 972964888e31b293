import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A user error in a CLI command: printed without a stack trace, exit code 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly showUsage = false,
  ) {
    super(message);
  }
}

const MAX_NAME_LENGTH = 200;
/** Control characters, and the bidirectional controls that can make a name read as another. */
const UNPRINTABLE = /[\p{Cc}\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;

/**
 * Checks a display name that pages and `list` commands show: required, at most 200 characters,
 * and without control characters, which could rewrite an operator's terminal or disguise the
 * name on the consent page.
 */
export function readDisplayName(value: string | undefined, option = '--name'): string {
  const name = value?.trim();
  if (name === undefined || name === '') throw new CliError(`missing required option ${option}`, true);
  if (name.length > MAX_NAME_LENGTH) throw new CliError(`${option} must not be longer than ${MAX_NAME_LENGTH} characters`);
  if (UNPRINTABLE.test(name)) throw new CliError(`${option} must not contain control characters`);
  return name;
}

/** True when the text has a control character or a bidirectional control. */
export function hasUnprintableCharacters(text: string): boolean {
  return UNPRINTABLE.test(text);
}

/** Prints rows as aligned columns with a header line. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  console.log(format(headers));
  for (const row of rows) console.log(format(row));
}

/** Reads all of standard input and removes one trailing line break. */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new CliError('--password-stdin reads the password from standard input; pipe it in, for example: echo "$PASSWORD" | gatehouse ...');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Parses options strictly: unknown options and stray arguments are errors. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
}
