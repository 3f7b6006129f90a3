/**
 * The baseline of `npm run bench:fanout`: a bare `ws` server, in a process of its own like the service,
 * speaking just enough graphql-transport-ws for the same graphql-ws clients to subscribe (ack every
 * connection_init, note every subscribe id). A broadcast writes the given payload to every subscription as
 * a `next` message with its id (the bytes the service writes), in a loop of `send`: no GraphQL, no
 * authentication, no database, no event bus. Driven over IPC by bench/live-fanout.ts; 127.0.0.1 only.
 */
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

const subscriptions: Array<{ socket: WebSocket; prefix: string }> = [];
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  handleProtocols: (protocols) => (protocols.has('graphql-transport-ws') ? 'graphql-transport-ws' : false),
});
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; id?: string };
    if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
    else if (message.type === 'subscribe' && message.id) subscriptions.push({ socket, prefix: `{"id":${JSON.stringify(message.id)},"type":"next","payload":` });
    else if (message.type === 'ping') socket.send('{"type":"pong"}');
  });
});
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string; payload?: string };
  if (msg.type === 'subscribed') {
    process.send!({ id: msg.id, ok: true, value: { subscriptions: subscriptions.length } });
  } else if (msg.type === 'broadcast') {
    const started = performance.now();
    let sent = 0;
    for (const { socket, prefix } of subscriptions) {
      if (socket.readyState !== socket.OPEN) continue;
      socket.send(prefix + msg.payload + '}');
      sent += 1;
    }
    process.send!({ id: msg.id, ok: true, value: { sent, loopMs: performance.now() - started } });
  } else if (msg.type === 'close') {
    for (const socket of wss.clients) socket.terminate();
    wss.close();
    process.send!({ id: msg.id, ok: true, value: { closed: true } });
    setImmediate(() => process.exit(0));
  } else {
    process.send!({ id: msg.id, ok: false, value: `unknown request ${msg.type}` });
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'listening', url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql` });
