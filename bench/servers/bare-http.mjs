// The limit for any Node.js HTTP server on this machine: node:http returning a tiny JSON body.
import { createServer } from 'node:http';

const body = JSON.stringify({ ok: true });
const server = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
