import { z } from 'zod';

/**
 * Gatehouse's configuration, read from environment variables. Each entry documents its variable;
 * README.md lists the same variables and a test keeps the two in step.
 */
const booleanFlag = z
  .string()
  .refine((value) => ['true', 'false', '1', '0'].includes(value), 'must be true, false, 1 or 0')
  .transform((value) => value === 'true' || value === '1');
/** Builds a schema for a decimal whole number from minimum to maximum, rejecting blanks, exponents and hexadecimal. */
function wholeNumber(minimum: number, maximum: number) {
  return z
    .string()
    .regex(/^\d{1,10}$/, `must be a whole number from ${minimum} to ${maximum}`)
    .transform(Number)
    .refine((value) => value >= minimum && value <= maximum, `must be a whole number from ${minimum} to ${maximum}`);
}
const seconds = (fallback: number) => wholeNumber(1, 10 * 365 * 24 * 3600).default(fallback);

export const CONFIGURATION_VARIABLES = {
  /** The issuer identifier: the URL clients use to reach Gatehouse, without a trailing slash. */
  GATEHOUSE_ISSUER: z
    .string()
    .default('http://localhost:9000')
    .refine(isValidIssuer, 'must be an http or https URL with no query, fragment or trailing slash'),
  /** sqlite:PATH for the embedded database, or postgres://USER@HOST:PORT/DATABASE. */
  GATEHOUSE_DATABASE_URL: z
    .string()
    .default('sqlite:./data/gatehouse.sqlite')
    .refine(isSupportedDatabaseUrl, 'must be sqlite:PATH (with a file path) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE'),
  /** Connections in the PostgreSQL pool. */
  GATEHOUSE_DATABASE_POOL_SIZE: wholeNumber(1, 1000).default(10),
  /** TCP port of the HTTP server. */
  GATEHOUSE_PORT: wholeNumber(0, 65535).default(9000),
  /** Address the HTTP server listens on. */
  GATEHOUSE_HOST: z.string().min(1).default('127.0.0.1'),
  /** pino log level: fatal, error, warn, info, debug, trace or silent. */
  GATEHOUSE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Lifetime of access tokens, in seconds. */
  GATEHOUSE_ACCESS_TOKEN_TTL: seconds(3600),
  /** Lifetime of ID tokens, in seconds. */
  GATEHOUSE_ID_TOKEN_TTL: seconds(3600),
  /** Lifetime of each refresh token, in seconds; rotation issues a new one. */
  GATEHOUSE_REFRESH_TOKEN_TTL: seconds(14 * 24 * 3600),
  /** Absolute lifetime of a chain of rotated refresh tokens, in seconds, counted from the login. */
  GATEHOUSE_REFRESH_FAMILY_TTL: seconds(90 * 24 * 3600),
  /** Lifetime of a login session, in seconds. */
  GATEHOUSE_SESSION_TTL: seconds(12 * 3600),
  /** Seconds between sweeps that delete expired rows; 0 turns the sweep off. One process at a time sweeps. */
  GATEHOUSE_SWEEP_INTERVAL: wholeNumber(0, 24 * 3600).default(300),
  /** Failed passwords for one account in 15 minutes before its logins pause; four times this per day. */
  GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT: wholeNumber(1, 10_000).default(5),
  /** Failed passwords from one client IP address in 15 minutes before its logins pause; five times this per day. */
  GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS: wholeNumber(1, 100_000).default(20),
  /**
   * Failed client authentications for one client_id in 15 minutes before the token, revocation,
   * introspection and device authorization endpoints reject that client_id until the window ends.
   */
  GATEHOUSE_CLIENT_AUTH_MAX_FAILURES: wholeNumber(1, 1_000_000).default(20),
  /** Wrong device user codes from one client IP address in 15 minutes before code entry from there pauses. */
  GATEHOUSE_DEVICE_CODE_MAX_FAILURES: wholeNumber(1, 100_000).default(10),
  /**
   * Trust X-Forwarded-For from this many proxies in front of Gatehouse (0: trust none), so rate
   * limits see the client's address rather than the load balancer's.
   */
  GATEHOUSE_TRUSTED_PROXIES: wholeNumber(0, 10).default(0),
  /**
   * Origins (scheme://host[:port], comma-separated) whose browser apps may call the token,
   * userinfo, revocation, discovery and JWKS endpoints. Empty: no CORS.
   */
  GATEHOUSE_CORS_ORIGINS: z
    .string()
    .default('')
    .refine(areOrigins, 'must be a comma-separated list of origins such as https://app.example.com'),
  /** Introspections per minute by one caller that may return active:false before the caller pauses. */
  GATEHOUSE_INTROSPECTION_MAX_INACTIVE: wholeNumber(1, 1_000_000).default(300),
  /** Require PKCE (S256) from confidential clients too. Public clients always need it. */
  GATEHOUSE_REQUIRE_PKCE: booleanFlag.default(true),
  /** Accept http:// redirect URIs on hosts other than loopback. Development only. */
  GATEHOUSE_ALLOW_INSECURE_REDIRECT_URIS: booleanFlag.default(false),
} as const;

const configurationSchema = z.object(CONFIGURATION_VARIABLES);
type RawConfiguration = z.infer<typeof configurationSchema>;

export interface Configuration {
  issuer: string;
  databaseUrl: string;
  databasePoolSize: number;
  port: number;
  host: string;
  logLevel: RawConfiguration['GATEHOUSE_LOG_LEVEL'];
  accessTokenSeconds: number;
  idTokenSeconds: number;
  refreshTokenSeconds: number;
  refreshFamilySeconds: number;
  sessionSeconds: number;
  sweepIntervalSeconds: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerAddress: number;
  clientAuthMaxFailures: number;
  deviceCodeMaxFailures: number;
  trustedProxies: number;
  corsOrigins: string[];
  introspectionMaxInactive: number;
  requirePkce: boolean;
  allowInsecureRedirectUris: boolean;
  /** True when the issuer is https: cookies get Secure and the __Host- prefix, and HSTS is sent. */
  secureCookies: boolean;
}

export class ConfigurationError extends Error {}

/** Reads and validates the configuration. Throws ConfigurationError naming every bad variable. */
export function loadConfiguration(environment: NodeJS.ProcessEnv = process.env): Configuration {
  const relevant: Record<string, string> = {};
  for (const name of Object.keys(CONFIGURATION_VARIABLES)) {
    const value = environment[name];
    if (value !== undefined && value !== '') relevant[name] = value;
  }
  const result = configurationSchema.safeParse(relevant);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'configuration');
      const value = relevant[name] ?? '';
      // A database URL may carry a password, which must not reach the terminal or the logs.
      const shown = name === 'GATEHOUSE_DATABASE_URL' ? value.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@') : value;
      return `${name}: ${issue.message} (got '${shown}')`;
    });
    throw new ConfigurationError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const raw = result.data;
  return {
    issuer: raw.GATEHOUSE_ISSUER,
    databaseUrl: raw.GATEHOUSE_DATABASE_URL,
    databasePoolSize: raw.GATEHOUSE_DATABASE_POOL_SIZE,
    port: raw.GATEHOUSE_PORT,
    host: raw.GATEHOUSE_HOST,
    logLevel: raw.GATEHOUSE_LOG_LEVEL,
    accessTokenSeconds: raw.GATEHOUSE_ACCESS_TOKEN_TTL,
    idTokenSeconds: raw.GATEHOUSE_ID_TOKEN_TTL,
    refreshTokenSeconds: raw.GATEHOUSE_REFRESH_TOKEN_TTL,
    refreshFamilySeconds: raw.GATEHOUSE_REFRESH_FAMILY_TTL,
    sessionSeconds: raw.GATEHOUSE_SESSION_TTL,
    sweepIntervalSeconds: raw.GATEHOUSE_SWEEP_INTERVAL,
    loginMaxFailuresPerAccount: raw.GATEHOUSE_LOGIN_MAX_FAILURES_PER_ACCOUNT,
    loginMaxFailuresPerAddress: raw.GATEHOUSE_LOGIN_MAX_FAILURES_PER_ADDRESS,
    clientAuthMaxFailures: raw.GATEHOUSE_CLIENT_AUTH_MAX_FAILURES,
    deviceCodeMaxFailures: raw.GATEHOUSE_DEVICE_CODE_MAX_FAILURES,
    trustedProxies: raw.GATEHOUSE_TRUSTED_PROXIES,
    corsOrigins: splitList(raw.GATEHOUSE_CORS_ORIGINS),
    introspectionMaxInactive: raw.GATEHOUSE_INTROSPECTION_MAX_INACTIVE,
    requirePkce: raw.GATEHOUSE_REQUIRE_PKCE,
    allowInsecureRedirectUris: raw.GATEHOUSE_ALLOW_INSECURE_REDIRECT_URIS,
    secureCookies: raw.GATEHOUSE_ISSUER.startsWith('https://'),
  };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function areOrigins(value: string): boolean {
  return splitList(value).every((entry) => {
    try {
      const url = new URL(entry);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === entry;
    } catch {
      return false;
    }
  });
}

function isSupportedDatabaseUrl(value: string): boolean {
  if (value.startsWith('sqlite:')) return value.length > 'sqlite:'.length;
  if (!value.startsWith('postgres://') && !value.startsWith('postgresql://')) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
}

function isValidIssuer(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.search !== '' || url.hash !== '' || value.includes('?') || value.includes('#')) return false;
  if (url.username !== '' || url.password !== '') return false;
  return !value.endsWith('/');
}
