/** Reads a text column that holds a JSON array of strings. */
export function parseStringList(value: string): string[] {
  const parsed: unknown = JSON.parse(value);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error('stored list is not a JSON array of strings');
  }
  return parsed;
}

export function serializeStringList(values: readonly string[]): string {
  return JSON.stringify(values);
}
