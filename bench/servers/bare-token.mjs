// The limit for a client_credentials token endpoint: only the work no implementation can skip.
// It reads the form body, checks client_secret_basic with a constant-time comparison, makes a
// 256-bit token, hashes it once with SHA-256 (what a server would store) and sends JSON. It
// stores nothing and checks nothing else.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const clientId = process.env.BENCH_CLIENT_ID ?? 'bench-client';
const expectedSecret = Buffer.from(process.env.BENCH_CLIENT_SECRET ?? 'bench-secret');
/** The hash a real server would store; kept so the digest is part of the work. */
let lastTokenHash = '';

function send(response, status, payload) {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  response.end(body);
}

function authenticated(header) {
  if (header === undefined || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return false;
  if (decodeURIComponent(decoded.slice(0, separator)) !== clientId) return false;
  const presented = Buffer.from(decodeURIComponent(decoded.slice(separator + 1)));
  return presented.length === expectedSecret.length && timingSafeEqual(presented, expectedSecret);
}

const server = createServer((request, response) => {
  // GET / responds with 200 so the benchmark can see that the server listens.
  if (request.method === 'GET' && request.url === '/') return send(response, 200, { ok: true });
  if (request.method !== 'POST' || request.url !== '/token') return send(response, 404, { error: 'not_found' });
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    if (!authenticated(request.headers.authorization)) return send(response, 401, { error: 'invalid_client' });
    if (form.get('grant_type') !== 'client_credentials') return send(response, 400, { error: 'unsupported_grant_type' });
    const token = randomBytes(32).toString('base64url');
    lastTokenHash = createHash('sha256').update(token).digest('base64url');
    send(response, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600 });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
