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
}

/** Remembered authorizations: this user allowed this client these scopes. */
export interface GrantsTable {
  id: string;
  user_id: string;
  client_id: string;
  scopes: string;
  created_at: number;
  updated_at: number;
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
