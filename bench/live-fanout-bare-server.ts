/**
 * The baseline of `npm run bench:fanout`: a bare `ws` server, in a process of its own like the service,
 * that writes the bytes it is given to every connected socket (a loop of `send`, nothing else). Driven
 * over IPC by bench/live-fanout.ts; listens on 127.0.0.1 only.
 */
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));

process.on('message', (raw: unknown) => {
  const msg = raw as { id: number; type: string; data?: string };
  if (msg.type === 'broadcast') {
    const started = performance.now();
    let sent = 0;
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      socket.send(msg.data ?? '');
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
process.send!({ type: 'listening', url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` });
