/**
 * Table types. Times are milliseconds since the Unix epoch in 64-bit integer columns, booleans are
 * 0 or 1, and lists are JSON arrays in text columns, so one schema serves SQLite and PostgreSQL.
 * Every key is a random identifier or a SHA-256 hash: no sequences.
 */
export interface Database {
  users: UsersTable;
  clients: ClientsTable;
  sessions: SessionsTable;
  authorization_requests: AuthorizationRequestsTable;
  grants: GrantsTable;
  token_families: TokenFamiliesTable;
  authorization_codes: AuthorizationCodesTable;
  access_tokens: AccessTokensTable;
  refresh_tokens: RefreshTokensTable;
  maintenance_leases: MaintenanceLeasesTable;
  signing_keys: SigningKeysTable;
  resource_servers: ResourceServersTable;
  device_authorizations: DeviceAuthorizationsTable;
  rate_limit_counters: RateLimitCountersTable;
  audit_events: AuditEventsTable;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  name: string | null;
  email: string | null;
  email_verified: number;
  created_at: number;
  updated_at: number;
  /** When an administrator disabled the account; null while it is enabled. */
  disabled_at: number | null;
}

export interface ClientsTable {
  id: string;
  name: string;
  secret_hash: string | null;
  redirect_uris: string;
  allowed_scopes: string;
  grant_types: string;
  token_endpoint_auth_method: string;
  require_pkce: number;
  disabled: number;
  post_logout_redirect_uris: string;
  id_token_signed_response_alg: string;
  /** 'opaque' or 'jwt' (RFC 9068). */
  access_token_format: string;
  /** Resource indicators (RFC 8707) the client may request tokens for, as a JSON array. */
  allowed_resources: string;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 of the session cookie's value. */
  id_hash: string;
  user_id: string;
  auth_time: number;
  created_at: number;
  expires_at: number;
}

/** Pending authorization requests, kept server-side while the user logs in and consents. */
export interface AuthorizationRequestsTable {
  id: string;
  /** SHA-256 of the browser cookie that started the request; only that browser may continue it. */
  browser_hash: string;
  client_id: string;
  redirect_uri: string;
  redirect_uri_sent: number;
  scopes: string;
  state: string | null;
  code_challenge: string | null;
  prompt: string;
  logged_in: number;
  created_at: number;
  expires_at: number;
  completed_at: number | null;
  nonce: string | null;
  /** The OpenID Connect `claims` request parameter, as validated JSON. */
  claims: string | null;
  max_age: number | null;
  response_mode: string | null;
  login_hint: string | null;
  ui_locales: string | null;
  /** The subject of a verified id_token_hint: only that user may complete the request. */
  id_token_hint_subject: string | null;
  /** The resource indicator of RFC 8707, or null when the request named none. */
  resource: string | null;
}

/** Remembered authorizations: this user allowed this client these scopes. */
export interface GrantsTable {
  id: string;
  user_id: string;
  client_id: string;
  scopes: string;
  created_at: number;
  updated_at: number;
  /** When tokens were last issued for this user and client; null before the first. */
  last_used_at: number | null;
}

/** Every token issued from one authorization code or one client credentials request. */
export interface TokenFamiliesTable {
  id: string;
  client_id: string;
  user_id: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface AuthorizationCodesTable {
  code_hash: string;
  family_id: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  redirect_uri_sent: number;
  scopes: string;
  code_challenge: string | null;
  auth_time: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  nonce: string | null;
  claims: string | null;
  resource: string | null;
}

export interface AccessTokensTable {
  token_hash: string;
  family_id: string;
  client_id: string;
  user_id: string | null;
  scopes: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  claims: string | null;
  /** The resource the token is restricted to (its audience); null for Gatehouse's own endpoints. */
  resource: string | null;
  /** The `jti` of every access token issued since migration 0004, JWT or opaque. */
  jti: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  family_id: string;
  client_id: string;
  user_id: string | null;
  scopes: string;
  auth_time: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
  claims: string | null;
  resource: string | null;
}

/** A time-limited claim on a maintenance job, so only one process runs it at a time. */
export interface MaintenanceLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** Keys that sign ID tokens (and JWT access tokens). Private JWKs never leave the server. */
export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk: string;
  active_for: string | null;
  created_at: number;
  retired_at: number | null;
  /** When the public key leaves the JWKS; null while the key is active. */
  unpublish_at: number | null;
}

/** A protected API that may introspect the access tokens issued for its audience. */
export interface ResourceServersTable {
  id: string;
  name: string;
  /** SHA-256 of the resource server's secret. */
  secret_hash: string;
  /** The resource indicator (RFC 8707) that names this server; unique. */
  audience: string;
  allowed_scopes: string;
  /** 'opaque' or 'jwt', or null to follow the setting of the client that requests the token. */
  access_token_format: string | null;
  disabled: number;
  created_at: number;
  updated_at: number;
}

/** Device authorization requests of RFC 8628, from issue until the device collects its tokens. */
export interface DeviceAuthorizationsTable {
  device_code_hash: string;
  /** SHA-256 of the normalized user code: eight letters, upper case, no separator. */
  user_code_hash: string;
  client_id: string;
  scopes: string;
  resource: string | null;
  /** The polling interval in seconds; each slow_down adds 5 (RFC 8628 section 3.5). */
  interval_seconds: number;
  last_polled_at: number | null;
  /** The user who approved or denied the request. */
  user_id: string | null;
  /** The token family created on approval, so revoking the user's grant covers it. */
  family_id: string | null;
  auth_time: number | null;
  approved_at: number | null;
  denied_at: number | null;
  consumed_at: number | null;
  created_at: number;
  expires_at: number;
}

/** Fixed-window counters for rate limits that every process shares, keyed by limit, subject and window. */
export interface RateLimitCountersTable {
  id: string;
  count: number;
  /** The end of the counter's window. */
  expires_at: number;
}

/** Security-relevant events. Never holds a token, code or secret. */
export interface AuditEventsTable {
  id: string;
  occurred_at: number;
  event_type: string;
  client_id: string | null;
  user_id: string | null;
  /** A short description such as the grant type or the reason of a revocation. */
  detail: string | null;
}
