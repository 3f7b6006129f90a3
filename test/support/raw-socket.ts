import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export interface WireMessage {
  type: string;
  id?: string;
  /** Whatever the server sent. */
  payload?: any;
}

/**
 * A bare graphql-transport-ws socket, so a test can send exactly what a misbehaving client would and see
 * every message and the close as they came. Tests add the handshakes they need in a subclass.
 */
export class RawSocket {
  readonly ws: WebSocket;
  readonly messages: WireMessage[] = [];
  readonly opened: Promise<void>;
  /** The close, with when it arrived (performance.now()). */
  readonly closed: Promise<{ code: number; reason: string; at: number }>;

  constructor(httpUrl: string) {
    this.ws = new WebSocket(httpUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() })),
    );
    this.ws.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as WireMessage));
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first message so far or to come that matches, within `timeoutMs`. */
  async next(predicate: (m: WireMessage) => boolean, timeoutMs = 5_000): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
