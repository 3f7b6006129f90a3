import type { WebSocket } from 'ws';

/** graphql-ws's close code for a refused key (the same one a bad key gets on connect). */
export const KEY_ENDED_CLOSE_CODE = 4403;

/**
 * The open WebSockets of each API key, so a revoked key's sessions end at once instead of streaming
 * events until the client disconnects.
 */
export class KeySockets {
  private readonly byKey = new Map<string, Set<WebSocket>>();

  add(keyId: string, socket: WebSocket): void {
    let sockets = this.byKey.get(keyId);
    if (!sockets) {
      sockets = new Set();
      this.byKey.set(keyId, sockets);
    }
    if (sockets.has(socket)) return;
    sockets.add(socket);
    socket.once('close', () => {
      const current = this.byKey.get(keyId);
      current?.delete(socket);
      if (current?.size === 0) this.byKey.delete(keyId);
    });
  }

  closeAll(keyId: string): void {
    for (const socket of this.byKey.get(keyId) ?? []) socket.close(KEY_ENDED_CLOSE_CODE, 'API key revoked');
    this.byKey.delete(keyId);
  }
}
