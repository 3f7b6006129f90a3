import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The node:http request as a Fetch Request over a body already read into memory (the gate read it with
 * a byte cap), aborted when the client goes away. yoga.fetch takes this like any other request.
 */
export function fetchRequestOf(RequestClass: typeof Request, req: IncomingMessage, res: ServerResponse, body: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return new RequestClass(new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`), {
    method: req.method ?? 'POST',
    headers,
    body: body as Uint8Array<ArrayBuffer>, // read from a socket: never a SharedArrayBuffer
    signal: controller.signal,
  });
}

/** Writes a Fetch Response to node:http, streaming its body (event streams included) with backpressure. */
export async function writeFetchResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, response.statusText, headers);
  if (!response.body) {
    res.end();
    return;
  }
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
  res.end();
}
