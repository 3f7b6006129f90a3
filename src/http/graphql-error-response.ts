import type { IncomingMessage, ServerResponse } from 'node:http';

export interface WireError {
  message: string;
  extensions: Record<string, unknown>;
}

/**
 * How long a refused request's unread body is still taken off the wire (and thrown away) before the
 * connection is cut. Closing at once would reset a client still uploading before it reads our answer
 * (it sees EPIPE, not the 413); draining without end would let it upload forever.
 */
const LINGER_MS = 2_000;

/**
 * A GraphQL-shaped refusal written before yoga sees the request (no key, body too large): the same
 * `{"errors": [{message, extensions: {code}}]}` a client gets for any other error. Whatever is left of
 * the body is discarded, never parsed.
 */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: WireError, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [error] });
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  if (req.complete) return;
  const socket = req.socket;
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  const done = () => clearTimeout(cut);
  req.once('end', done);
  socket.once('close', done);
  req.resume();
}
