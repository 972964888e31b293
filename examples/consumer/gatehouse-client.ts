import * as oauth from 'oauth4webapi';
import type { Connection, PendingAuthorization } from './sessions.js';

/** The scope the consumer requests: what userinfo needs to return the username, name and email. */
const SCOPE = 'profile email';
/** Each request to Gatehouse is given this long before it is aborted. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface ClientCredentials {
  /** Gatehouse's issuer identifier, such as http://localhost:9000. */
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/**
 * The OAuth side of the consumer, built on oauth4webapi: the authorization request with PKCE
 * (S256) and state, then the checks of the response, the code exchange with client_secret_basic
 * and the userinfo request.
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

  /** Builds the authorization request URL and the PKCE verifier and state to keep until the callback. */
  async createAuthorizationRequest(redirectUri: string): Promise<{ url: URL; pending: PendingAuthorization }> {
    const server = await this.discover();
    if (server.authorization_endpoint === undefined) {
      throw new Error(`the authorization server metadata of ${this.issuer.href} has no authorization_endpoint`);
    }
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(server.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.client.client_id);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('scope', SCOPE);
    url.searchParams.set('state', state);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
    return { url, pending: { state, codeVerifier } };
  }

  /**
   * Validates the authorization response at `callbackUrl`, redeems the code and reads userinfo.
   * Throws oauth.AuthorizationResponseError when the response is an error such as access_denied,
   * oauth.ResponseBodyError when Gatehouse rejects the code exchange, and other errors when a
   * check fails or Gatehouse does not respond.
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
    const tokens = await oauth.processAuthorizationCodeResponse(server, this.client, tokenResponse);

    const userinfoResponse = await oauth.userInfoRequest(server, this.client, tokens.access_token, this.requestOptions());
    // Without an ID token there is no expected subject to compare the userinfo's sub with.
    const userinfo = await oauth.processUserInfoResponse(server, this.client, oauth.skipSubjectCheck, userinfoResponse);
    return { userinfo, scope: tokens.scope };
  }

  /**
   * Fetches the authorization server metadata (RFC 8414) once and caches it. A failed fetch is not
   * cached, so the next request tries again.
   */
  private discover(): Promise<oauth.AuthorizationServer> {
    if (this.metadata === undefined) {
      const metadata = oauth
        .discoveryRequest(this.issuer, { ...this.requestOptions(), algorithm: 'oauth2' })
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
