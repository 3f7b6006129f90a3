/**
 * Whether an error means "the connection to PostgreSQL went away" rather than "the statement was wrong":
 * the backend was terminated or the server is shutting down or starting up (SQLSTATE 57P01–57P03), a
 * connection exception (class 08), the socket failed (ECONNREFUSED while the server restarts, …), or pg's
 * own messages for a connection that ended under a query (these carry no code).
 */
const NODE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
];

export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code === '57P01' || code === '57P02' || code === '57P03' || code.startsWith('08')) return true;
    if (NODE_SOCKET_CODES.has(code)) return true;
  }
  return PG_CONNECTION_MESSAGES.some((m) => err.message.includes(m));
}
