// node-oidc-provider (npm oidc-provider, major 9) with its built-in in-memory adapter, set up for
// the same cases as Gatehouse. It has one confidential client with client_secret_basic and the
// client_credentials, authorization_code and refresh_token grants. Introspection is on, one
// resource server gets JWT access tokens (features.resourceIndicators with accessTokenFormat
// 'jwt'), and the signing key is ES256. The interaction route stands in for a login page: it signs in the account
// named by the login_hint parameter without a password and records consent for every requested
// scope. The benchmark goes through it once per browser before measuring, so the measured code
// flows run for a user who is logged in and has already authorized the client.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.BENCH_CLIENT_ID ?? 'bench-client';
const clientSecret = process.env.BENCH_CLIENT_SECRET ?? 'bench-secret';
const redirectUri = process.env.BENCH_REDIRECT_URI ?? 'https://app.example.com/callback';
const audience = process.env.BENCH_AUDIENCE ?? 'https://api.example.com';
const serviceScope = 'api:read';

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: randomBytes(8).toString('hex') };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: `openid profile email offline_access ${serviceScope}`,
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'profile', 'email', 'offline_access', serviceScope],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
  async findAccount(_ctx, accountId) {
    return { accountId, claims: async () => ({ sub: accountId }) };
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      async getResourceServerInfo(_ctx, resourceIndicator) {
        if (resourceIndicator !== audience) throw new errors.InvalidTarget();
        return {
          audience,
          scope: serviceScope,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
  // Gatehouse gives every client registered for the refresh_token grant a refresh token and
  // rotates it on every use; the same settings here.
  async issueRefreshToken(_ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    ClientCredentials: 3600,
    IdToken: 3600,
    RefreshToken: 14 * 24 * 3600,
    Grant: 90 * 24 * 3600,
    Session: 12 * 3600,
    Interaction: 15 * 60,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});

/** Completes a login or consent prompt at once, for the account that login_hint names. */
async function finishInteraction(request, response) {
  const details = await provider.interactionDetails(request, response);
  const accountId = details.session?.accountId ?? details.params.login_hint ?? 'bench-user';
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(request, response, { login: { accountId } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId === undefined
    ? new provider.Grant({ accountId, clientId: details.params.client_id })
    : await provider.Grant.find(details.grantId);
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  await provider.interactionFinished(request, response, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url?.startsWith('/interaction/')) {
    finishInteraction(request, response).catch((error) => {
      response.statusCode = 500;
      response.end(String(error));
    });
    return;
  }
  callback(request, response);
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
