import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Responds to a request that Node's HTTP parser rejected before Fastify saw it: a malformed
 * request line, headers over the size limit, or a request that timed out. The response is an
 * OAuth-style JSON error, so every error body Gatehouse sends has the same shape.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no reader for a response.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;

  let status = 400;
  let description = 'the request is not valid HTTP';
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    description = 'the request headers are too large';
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    description = 'the request took too long to arrive';
  }
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

/**
 * Responds to a request that Fastify's router rejects before any hook runs (a path with invalid
 * percent-encoding, say). The security headers that hooks would add are set here.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ code: error.code }, 'request rejected by the router');
  const description = error.code === 'FST_ERR_BAD_URL' ? 'the request path is not valid percent-encoded UTF-8' : 'the request is malformed';
  void reply
    .status(400)
    .headers({
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    })
    .send({ error: 'invalid_request', error_description: description });
}
