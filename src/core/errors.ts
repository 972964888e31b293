/**
 * OAuth 2.0 protocol errors, one class per error code of RFC 6749 sections 4.1.2.1 and 5.2,
 * RFC 6750 section 3.1, RFC 8628 section 3.5, RFC 8707 section 2 and OpenID Connect Core
 * section 3.1.2.6.
 *
 * `description` goes on the wire and never contains internal detail. `detail` is for the logs.
 */
export abstract class OAuthError extends Error {
  abstract readonly code: string;
  /** HTTP status when the error is returned directly, not through a redirect. */
  readonly status: number = 400;
  /** False when the client or redirect_uri cannot be trusted, so the error must not be redirected. */
  readonly redirectable: boolean = true;
  /** The description, limited to the characters RFC 6749 section 5.2 allows in error_description. */
  readonly description: string;

  constructor(
    description: string,
    readonly detail?: string,
  ) {
    super(description);
    this.name = new.target.name;
    this.description = toDescriptionCharacters(description);
  }
}

/**
 * Keeps the characters that error_description may contain (%x20-21 / %x23-5B / %x5D-7E) and
 * replaces every other one, such as a quote, a backslash, a control character or a non-ASCII
 * letter that a description quotes from the request, with '?'. This also keeps the
 * description safe inside a quoted WWW-Authenticate parameter.
 */
export function toDescriptionCharacters(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
}

export class InvalidRequest extends OAuthError {
  readonly code = 'invalid_request';
}

export class InvalidClient extends OAuthError {
  readonly code = 'invalid_client';
  override readonly status: number = 401;
}

/**
 * Too many failed authentications for one client_id in the current window. The secret is not
 * checked, so even the right one waits until `retryAfterSeconds` have passed.
 */
export class ClientAuthenticationPaused extends InvalidClient {
  override readonly status: number = 429;

  constructor(readonly retryAfterSeconds: number) {
    super('too many failed client authentications, retry later', `client paused for ${retryAfterSeconds} s`);
  }
}

/**
 * Too many introspections of inactive or unknown tokens from one caller: the caller is probing
 * for valid tokens (RFC 7662 section 4). RFC 8628 names this error slow_down.
 */
export class IntrospectionPaused extends OAuthError {
  readonly code = 'slow_down';
  override readonly status: number = 429;

  constructor(readonly retryAfterSeconds: number) {
    super('too many introspections of inactive tokens, retry later', `caller paused for ${retryAfterSeconds} s`);
  }
}

export class InvalidGrant extends OAuthError {
  readonly code = 'invalid_grant';
}

export class UnauthorizedClient extends OAuthError {
  readonly code = 'unauthorized_client';
}

export class UnsupportedGrantType extends OAuthError {
  readonly code = 'unsupported_grant_type';
}

export class UnsupportedResponseType extends OAuthError {
  readonly code = 'unsupported_response_type';
}

export class InvalidScope extends OAuthError {
  readonly code = 'invalid_scope';
}

export class AccessDenied extends OAuthError {
  readonly code = 'access_denied';
  override readonly status: number = 403;
}

/** RFC 8707 section 2: the resource is malformed, unknown, or not allowed for the client. */
export class InvalidTarget extends OAuthError {
  readonly code = 'invalid_target';
}

/** RFC 8628 section 3.5: the user has not yet approved or denied the device authorization. */
export class AuthorizationPending extends OAuthError {
  readonly code = 'authorization_pending';
}

/** RFC 8628 section 3.5: the device polls faster than its interval, which grows by 5 seconds. */
export class SlowDown extends OAuthError {
  readonly code = 'slow_down';
}

/** RFC 8628 section 3.5: the device code expired before the device collected its tokens. */
export class ExpiredToken extends OAuthError {
  readonly code = 'expired_token';
}

export class LoginRequired extends OAuthError {
  readonly code = 'login_required';
}

export class ConsentRequired extends OAuthError {
  readonly code = 'consent_required';
}

export class InteractionRequired extends OAuthError {
  readonly code = 'interaction_required';
}

export class RequestNotSupported extends OAuthError {
  readonly code = 'request_not_supported';
}

export class RequestUriNotSupported extends OAuthError {
  readonly code = 'request_uri_not_supported';
}

export class InvalidToken extends OAuthError {
  readonly code = 'invalid_token';
  override readonly status = 401;
}

export class InsufficientScope extends OAuthError {
  readonly code = 'insufficient_scope';
  override readonly status = 403;
}

export class ServerError extends OAuthError {
  readonly code = 'server_error';
  override readonly status = 500;
}

export class TemporarilyUnavailable extends OAuthError {
  readonly code = 'temporarily_unavailable';
  override readonly status = 503;
}

/**
 * An authorization request error that must be shown on Gatehouse's own error page because the
 * client_id or redirect_uri could not be verified (RFC 6749 section 4.1.2.1).
 */
export class UntrustedAuthorizationRequest extends OAuthError {
  readonly code = 'invalid_request';
  override readonly redirectable = false;
}

/** The error body of RFC 6749 section 5.2. */
export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

export function toErrorBody(error: OAuthError): OAuthErrorBody {
  return { error: error.code, error_description: error.description };
}
