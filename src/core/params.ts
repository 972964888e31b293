import { InvalidRequest } from './errors.js';

/** A bound on each parameter's length, well above what any legitimate value needs. */
export const MAX_PARAMETER_LENGTH = 4096;

/** Request parameters after duplicate checks: each name maps to exactly one string. */
export type Parameters = ReadonlyMap<string, string>;

/** Request parameters with the names that were sent more than once. */
export interface ReadParameters {
  /** The first value of each name, with empty values removed. */
  parameters: Parameters;
  repeated: string[];
}

/**
 * Reads request parameters from a query string or form body into single values.
 *
 * RFC 6749 section 3.1: parameters sent without a value are treated as omitted, and request
 * and response parameters must not be included more than once. Callers decide how to reject
 * repeated names, because the authorization endpoint may only redirect the error once the
 * client and redirect URI are verified.
 */
export function readParameters(entries: Iterable<[string, string]>): ReadParameters {
  const collected = new Map<string, string>();
  const repeated = new Set<string>();
  for (const [name, value] of entries) {
    if (collected.has(name)) {
      repeated.add(name);
      continue;
    }
    collected.set(name, value);
  }
  for (const [name, value] of collected) {
    if (value === '') collected.delete(name);
  }
  return { parameters: collected, repeated: [...repeated] };
}

/** Reads request parameters and rejects any repeated name with invalid_request. */
export function collectParameters(entries: Iterable<[string, string]>): Parameters {
  const { parameters, repeated } = readParameters(entries);
  if (repeated.length > 0) throw repeatedParametersError(repeated);
  return parameters;
}

export function repeatedParametersError(repeated: readonly string[]): InvalidRequest {
  const names = repeated.map((name) => `'${name}'`).join(', ');
  return new InvalidRequest(`parameter ${names} must not be repeated`);
}

/**
 * Converts a parsed body or query object (as produced by Fastify's parsers) into entries.
 * Arrays stand for repeated names; anything that is not a string or an array of strings is rejected.
 */
export function entriesOf(source: unknown): Array<[string, string]> {
  if (source === undefined || source === null) return [];
  if (typeof source !== 'object') {
    throw new InvalidRequest('request parameters must be sent as a query string or form body');
  }
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(source)) {
    // NUL has no meaning in any OAuth parameter, and PostgreSQL rejects it in text values.
    const items: unknown[] = Array.isArray(value) ? value : [value];
    if (name.includes('\u0000') || items.some((item) => typeof item === 'string' && item.includes('\u0000'))) {
      throw new InvalidRequest(`parameter '${name.replaceAll('\u0000', '')}' must not contain a NUL character`);
    }
    if (typeof value === 'string') {
      entries.push([name, value]);
    } else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      for (const item of value) entries.push([name, item as string]);
    } else {
      throw new InvalidRequest(`parameter '${name}' must be a string`);
    }
  }
  return entries;
}

export function requireParameter(parameters: Parameters, name: string): string {
  const value = parameters.get(name);
  if (value === undefined) throw new InvalidRequest(`missing required parameter '${name}'`);
  return value;
}

/** Rejects any parameter longer than MAX_PARAMETER_LENGTH with invalid_request. */
export function checkParameterLengths(parameters: Parameters): void {
  for (const [name, value] of parameters) {
    if (value.length > MAX_PARAMETER_LENGTH) {
      throw new InvalidRequest(`parameter '${name}' must not be longer than ${MAX_PARAMETER_LENGTH} characters`);
    }
  }
}
