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
 * and without control characters. Such characters could rewrite an operator's terminal or
 * disguise the name on the consent page.
 */
export function readDisplayName(value: string | undefined, option = '--name'): string {
  if (value === undefined) throw new CliError(`missing required option ${option}`, true);
  const name = value.trim();
  if (name === '') throw new CliError(`${option} must not be empty`);
  if (name.length > MAX_NAME_LENGTH) throw new CliError(`${option} must not be longer than ${MAX_NAME_LENGTH} characters`);
  if (UNPRINTABLE.test(name)) throw new CliError(`${option} must not contain control characters`);
  return name;
}

/** True when the text has a control character or a bidirectional control. */
export function hasUnprintableCharacters(text: string): boolean {
  return UNPRINTABLE.test(text);
}

/**
 * Replaces control characters with visible escapes such as \u001b, so text from requests (an
 * audit row's client id, say) can neither rewrite the terminal nor forge a line of output.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(new RegExp(UNPRINTABLE.source, 'gu'), (character) =>
    `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Prints rows as aligned columns with a header line, with control characters escaped. */
export function printTable(headers: string[], rawRows: string[][]): void {
  const rows = rawRows.map((row) => row.map(escapeForTerminal));
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

/**
 * Parses options strictly: unknown options, stray arguments and an option given twice (unless it
 * may repeat) are errors, so a command never acts on one of two values silently.
 */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  const { values, tokens } = parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true });
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || options[token.name]?.multiple === true) continue;
    if (seen.has(token.name)) throw new CliError(`option --${token.name} given more than once`, true);
    seen.add(token.name);
  }
  return values;
}
