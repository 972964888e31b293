import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Responds to a request that Node's HTTP parser rejected before Fastify saw it (a malformed request
 * line, headers over the size limit, a request that timed out) with an OAuth-style JSON error,
 * so every error body Gatehouse sends has the same shape.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // Nobody reads a response on a reset connection.
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
