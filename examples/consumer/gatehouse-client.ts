import * as oauth from 'oauth4webapi';
import type { Connection, PendingAuthorization, PendingLogout } from './sessions.js';

/** The scope the consumer requests: openid for the ID token, profile and email for the claims it shows. */
const SCOPE = 'openid profile email';
/** Each request to Gatehouse is given this long before it is aborted. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface ClientCredentials {
  /** Gatehouse's issuer identifier, such as http://localhost:9000. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/**
 * The OpenID Connect side of the consumer, built on oauth4webapi. It covers discovery, the
 * authorization request with PKCE (S256), state and nonce, and the checks of the response. Then
 * come the code exchange with client_secret_basic, the ID token checks, the userinfo request and,
 * to sign out, the RP-initiated logout request.
 */
export class GatehouseClient {
  private readonly issuer: URL;
  private readonly client: oauth.Client;
  private readonly clientAuthentication: oauth.ClientAuth;
  private metadata: Promise<oauth.AuthorizationServer> | undefined;

  constructor(credentials: ClientCredentials) {
    this.issuer = new URL(credentials.issuer);
    this.client = { client_id: credentials.clientId };
    this.clientAuthentication = oauth.ClientSecretBasic(credentials.clientSecret);
  }

  get issuerOrigin(): string {
    return this.issuer.origin;
  }

  /** Builds the authorization request URL and the PKCE verifier, state and nonce to keep until the callback. */
  async createAuthorizationRequest(redirectUri: string): Promise<{ url: URL; pending: PendingAuthorization }> {
    const server = await this.discover();
    if (server.authorization_endpoint === undefined) {
      throw new Error(`the OpenID Provider configuration of ${this.issuer.href} has no authorization_endpoint`);
    }
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const nonce = oauth.generateRandomNonce();
    const url = new URL(server.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.client.client_id);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', SCOPE);
    url.searchParams.set('state', state);
    url.searchParams.set('nonce', nonce);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return { url, pending: { state, codeVerifier, nonce } };
  }

  /**
   * Validates the authorization response at `callbackUrl`, redeems the code, checks the ID token
   * and reads userinfo. Throws oauth.AuthorizationResponseError when the response is an error such
   * as access_denied, oauth.ResponseBodyError when Gatehouse rejects the code exchange, and other
   * errors when a check fails or Gatehouse does not respond.
   */
  async completeAuthorization(callbackUrl: URL, pending: PendingAuthorization, redirectUri: string): Promise<Connection> {
    const server = await this.discover();
    // Checks state, and iss (RFC 9207) because the metadata sets authorization_response_iss_parameter_supported.
    const parameters = oauth.validateAuthResponse(server, this.client, callbackUrl, pending.state);

    const tokenResponse = await oauth.authorizationCodeGrantRequest(
      server,
      this.client,
      this.clientAuthentication,
      parameters,
      redirectUri,
      pending.codeVerifier,
      this.requestOptions(),
    );
    // Checks iss, aud, exp, iat, the nonce and the signing algorithm of the ID token, and fails when there is none.
    const tokens = await oauth.processAuthorizationCodeResponse(server, this.client, tokenResponse, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    // oauth4webapi 3 does not verify the signature of an ID token from the token endpoint, because
    // TLS authenticates that response. The demo verifies it against the JWKS anyway, so that a
    // broken /jwks shows up here.
    await oauth.validateApplicationLevelSignature(server, tokenResponse, this.requestOptions());
    const idTokenClaims = oauth.getValidatedIdTokenClaims(tokens);
    if (idTokenClaims === undefined || tokens.id_token === undefined) {
      throw new Error('the token response has no ID token although processAuthorizationCodeResponse required one');
    }

    const userinfoResponse = await oauth.userInfoRequest(server, this.client, tokens.access_token, this.requestOptions());
    // The userinfo's sub must be the ID token's (OpenID Connect Core section 5.3.2).
    const userinfo = await oauth.processUserInfoResponse(server, this.client, idTokenClaims.sub, userinfoResponse);
    return { accessToken: tokens.access_token, idToken: tokens.id_token, idTokenClaims, userinfo, scope: tokens.scope };
  }

  /**
   * Reads userinfo again with the stored access token. Returns the fresh claims, or undefined
   * when Gatehouse rejects the token (revoked, for example on the connected apps page, or
   * expired); throws when Gatehouse does not respond.
   */
  async readUserinfo(connection: Connection): Promise<oauth.UserInfoResponse | undefined> {
    const server = await this.discover();
    const response = await oauth.userInfoRequest(server, this.client, connection.accessToken, this.requestOptions());
    if (response.status === 401) return undefined;
    return oauth.processUserInfoResponse(server, this.client, connection.idTokenClaims.sub, response);
  }

  /**
   * Builds the logout request to Gatehouse's end_session_endpoint (OpenID Connect RP-Initiated
   * Logout 1.0) with the ID token as id_token_hint and a new state to keep until Gatehouse
   * redirects back to `postLogoutRedirectUri`.
   */
  async createLogoutRequest(idToken: string, postLogoutRedirectUri: string): Promise<{ url: URL; pending: PendingLogout }> {
    const server = await this.discover();
    if (server.end_session_endpoint === undefined) {
      throw new Error(`the OpenID Provider configuration of ${this.issuer.href} has no end_session_endpoint`);
    }
    const state = oauth.generateRandomState();
    const url = new URL(server.end_session_endpoint);
    url.searchParams.set('id_token_hint', idToken);
    url.searchParams.set('client_id', this.client.client_id);
    url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
    url.searchParams.set('state', state);
    return { url, pending: { state } };
  }

  /**
   * Fetches the OpenID Provider configuration (/.well-known/openid-configuration) once and caches
   * it. A failed fetch is not cached, so the next request tries again.
   */
  private discover(): Promise<oauth.AuthorizationServer> {
    if (this.metadata === undefined) {
      const metadata = oauth
        .discoveryRequest(this.issuer, { ...this.requestOptions(), algorithm: 'oidc' })
        .then((response) => oauth.processDiscoveryResponse(this.issuer, response));
      metadata.catch(() => {
        if (this.metadata === metadata) this.metadata = undefined;
      });
      this.metadata = metadata;
    }
    return this.metadata;
  }

  /** Options for every request to Gatehouse: a timeout, and plain http only when the issuer itself is http. */
  private requestOptions(): { signal: AbortSignal; [oauth.allowInsecureRequests]?: boolean } {
    return {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      ...(this.issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }
}

/** Describes an error by its class, code and message only, because oauth4webapi errors may carry response bodies with tokens in `cause`. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
}
