import type { Client } from './client.js';
import { isPublicClient } from './client.js';
import {
  InvalidRequest,
  InvalidScope,
  OAuthError,
  RequestNotSupported,
  RequestUriNotSupported,
  UnauthorizedClient,
  UnsupportedResponseType,
  UntrustedAuthorizationRequest,
} from './errors.js';
import {
  checkParameterLengths,
  MAX_PARAMETER_LENGTH,
  type Parameters,
  type ReadParameters,
  repeatedParametersError,
} from './params.js';
import { checkCodeChallenge, type CodeChallenge } from './pkce.js';
import { matchRedirectUri } from './redirect-uri.js';
import { checkClientResource, parseResourceParameter } from './resource-indicator.js';
import { checkScopesAllowed, parseScope } from './scope.js';
import { parseClaimsRequest, type ClaimsRequest } from './oidc/claims.js';

export { MAX_PARAMETER_LENGTH };

/** select_account shows the login page, where the user can sign in with another account. */
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
export type Prompt = (typeof PROMPT_VALUES)[number];

/** Delivery modes of the authorization response: query parameters or an HTML form POST. */
export const RESPONSE_MODES = ['query', 'form_post'] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

/** An authorization request that passed every check and may be stored as a pending interaction. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  /** True when the request carried redirect_uri, so the token request must repeat it (RFC 6749 section 4.1.3). */
  redirectUriSent: boolean;
  scopes: string[];
  state: string | undefined;
  codeChallenge: CodeChallenge | undefined;
  prompt: Set<Prompt>;
  responseMode: ResponseMode;
  /** OpenID Connect: echoed in the ID token. */
  nonce: string | undefined;
  /** OpenID Connect: the longest time since the last login, in seconds, before a new login is required. */
  maxAge: number | undefined;
  claims: ClaimsRequest | undefined;
  /** Prefills the username on the login page. */
  loginHint: string | undefined;
  uiLocales: string | undefined;
  /** An ID token naming the user the client expects; the HTTP layer verifies its signature. */
  idTokenHint: string | undefined;
  /**
   * The user the client expects: the `sub` of a verified id_token_hint, or a `sub` value in the
   * `claims` parameter (OpenID Connect Core section 5.5.1). Only that user may complete the request.
   */
  expectedSubject: string | undefined;
  /** The resource indicator of RFC 8707 that the tokens will be restricted to. */
  resource: string | undefined;
}

/**
 * The client and redirect URI are verified, so later errors can go back to the client. Carries
 * what an error redirect needs.
 */
export interface RedirectTarget {
  redirectUri: string;
  state: string | undefined;
  responseMode: ResponseMode;
}

/** An authorization request error, with the redirect target when the error may be redirected. */
export class AuthorizationRequestError extends Error {
  constructor(
    readonly error: OAuthError,
    readonly target: RedirectTarget | undefined,
  ) {
    super(error.description);
  }
}

/**
 * Validates an authorization request (RFC 6749 section 4.1.1, RFC 7636 section 4.3).
 *
 * The client and redirect URI come first: until both are verified, every error is shown on
 * Gatehouse's own page. After that, errors are sent to the redirect URI with the state.
 */
export function validateAuthorizationRequest(
  { parameters, repeated }: ReadParameters,
  client: Client | undefined,
  options: { requirePkceForAllClients: boolean },
): AuthorizationRequest {
  checkUntrustedRepeats(repeated);
  const verifiedClient = checkClient(parameters, client);
  const redirectUri = checkRedirectUri(parameters, verifiedClient);
  const requestedMode = parameters.get('response_mode');
  const state = parameters.get('state');
  const target: RedirectTarget = {
    redirectUri,
    // An oversized state is rejected below and not echoed, so the error redirect stays small.
    state: repeated.includes('state') || (state?.length ?? 0) > MAX_PARAMETER_LENGTH ? undefined : state,
    responseMode: requestedMode === 'form_post' && !repeated.includes('response_mode') ? 'form_post' : 'query',
  };

  try {
    // A repeated resource is legitimate in RFC 8707 but unsupported: checkResource rejects it.
    const repeatedOthers = repeated.filter((name) => name !== 'resource');
    if (repeatedOthers.length > 0) throw repeatedParametersError(repeatedOthers);
    checkParameterLengths(parameters);
    checkResponseType(parameters, verifiedClient);
    checkResponseMode(requestedMode);
    checkUnsupportedRequestObjects(parameters);
    const scopes = checkScope(parameters, verifiedClient);
    const requirePkce =
      isPublicClient(verifiedClient) || verifiedClient.requirePkce || options.requirePkceForAllClients;
    const codeChallenge = checkCodeChallenge(
      parameters.get('code_challenge'),
      parameters.get('code_challenge_method'),
      requirePkce,
    );
    const prompt = checkPrompt(parameters);
    const maxAge = checkMaxAge(parameters.get('max_age'));
    const claims = parseClaimsRequest(parameters.get('claims'));
    const resource = checkResource(parameters, repeated, verifiedClient);

    return {
      clientId: verifiedClient.id,
      redirectUri,
      redirectUriSent: parameters.has('redirect_uri'),
      scopes,
      state: target.state,
      codeChallenge,
      prompt,
      responseMode: target.responseMode,
      nonce: parameters.get('nonce'),
      maxAge,
      claims,
      loginHint: parameters.get('login_hint'),
      uiLocales: parameters.get('ui_locales'),
      idTokenHint: parameters.get('id_token_hint'),
      expectedSubject: claims?.subject,
      resource,
    };
  } catch (error) {
    if (error instanceof OAuthError) throw new AuthorizationRequestError(error, target);
    throw error;
  }
}

/** Rejects a repeated client_id or redirect_uri, which leaves no verified place to send the error to. */
function checkUntrustedRepeats(repeated: readonly string[]): void {
  const untrusted = repeated.filter((name) => name === 'client_id' || name === 'redirect_uri');
  if (untrusted.length > 0) {
    throw new AuthorizationRequestError(
      new UntrustedAuthorizationRequest(repeatedParametersError(untrusted).description),
      undefined,
    );
  }
}

function checkClient(parameters: Parameters, client: Client | undefined): Client {
  if (!parameters.has('client_id')) {
    throw new AuthorizationRequestError(
      new UntrustedAuthorizationRequest("missing required parameter 'client_id'"),
      undefined,
    );
  }
  if (client === undefined) {
    throw new AuthorizationRequestError(
      new UntrustedAuthorizationRequest("'client_id' does not name a registered client"),
      undefined,
    );
  }
  if (client.disabled) {
    throw new AuthorizationRequestError(
      new UntrustedAuthorizationRequest('the client is disabled; ask its operator to enable it'),
      undefined,
    );
  }
  return client;
}

/**
 * Exact match against the registered list. A plain OAuth request to a client with one registered
 * URI may omit the parameter (RFC 6749 section 3.1.2.3), but an OpenID Connect request must send
 * it (OpenID Connect Core section 3.1.2.1).
 */
function checkRedirectUri(parameters: Parameters, client: Client): string {
  const requested = parameters.get('redirect_uri');
  if (requested === undefined) {
    const openIdRequest = (parameters.get('scope') ?? '').split(' ').includes('openid');
    if (!openIdRequest && client.redirectUris.length === 1 && client.redirectUris[0] !== undefined) {
      return client.redirectUris[0];
    }
    throw new AuthorizationRequestError(
      new UntrustedAuthorizationRequest("missing required parameter 'redirect_uri'"),
      undefined,
    );
  }
  const matched = matchRedirectUri(requested, client.redirectUris, isPublicClient(client));
  if (matched === undefined) {
    throw new AuthorizationRequestError(
      new UntrustedAuthorizationRequest("'redirect_uri' does not match any redirect URI registered for the client"),
      undefined,
    );
  }
  return requested;
}

function checkResponseType(parameters: Parameters, client: Client): void {
  const responseType = parameters.get('response_type');
  if (responseType === undefined) throw new InvalidRequest("missing required parameter 'response_type'");
  if (responseType !== 'code') {
    throw new UnsupportedResponseType("'response_type' must be 'code'");
  }
  if (!client.grantTypes.includes('authorization_code')) {
    throw new UnauthorizedClient('the client is not allowed to use the authorization code grant');
  }
}

function checkResponseMode(responseMode: string | undefined): void {
  if (responseMode !== undefined && !(RESPONSE_MODES as readonly string[]).includes(responseMode)) {
    throw new InvalidRequest(`'response_mode' must be one of ${RESPONSE_MODES.map((mode) => `'${mode}'`).join(', ')}`);
  }
}

/** max_age is a non-negative number of seconds (OpenID Connect Core section 3.1.2.1). */
function checkMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value)) throw new InvalidRequest("'max_age' must be a non-negative whole number of seconds");
  return Number(value);
}

/** Request objects (OpenID Connect Core section 6) are not supported. */
function checkUnsupportedRequestObjects(parameters: Parameters): void {
  if (parameters.has('request')) throw new RequestNotSupported("the 'request' parameter is not supported");
  if (parameters.has('request_uri')) {
    throw new RequestUriNotSupported("the 'request_uri' parameter is not supported");
  }
}

function checkScope(parameters: Parameters, client: Client): string[] {
  const scope = parameters.get('scope');
  // RFC 6749 section 3.3 lets the server either apply a default or fail. Gatehouse fails, so a
  // client never receives access it did not name.
  if (scope === undefined) throw new InvalidScope("missing required parameter 'scope'");
  const scopes = parseScope(scope);
  checkScopesAllowed(scopes, client.allowedScopes);
  return scopes;
}

function checkPrompt(parameters: Parameters): Set<Prompt> {
  const prompt = parameters.get('prompt');
  const values = new Set<Prompt>();
  if (prompt === undefined) return values;
  for (const value of prompt.split(' ')) {
    if (!(PROMPT_VALUES as readonly string[]).includes(value)) {
      throw new InvalidRequest(`'prompt' value '${value}' is not supported`);
    }
    values.add(value as Prompt);
  }
  if (values.has('none') && values.size > 1) {
    throw new InvalidRequest("'prompt=none' must not be combined with other values");
  }
  return values;
}

/** One resource indicator the client is registered for (RFC 8707 section 2), or none. */
function checkResource(parameters: Parameters, repeated: readonly string[], client: Client): string | undefined {
  const resource = parseResourceParameter(parameters.get('resource'), repeated.includes('resource'));
  if (resource !== undefined) checkClientResource(client, resource);
  return resource;
}
