import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * An event's cursor: its position in its account's event log, bound to that account. Opaque to clients
 * (base64url of 8 bytes of position and 8 bytes of tag); the tag is a hash of the account id and the
 * position, so a cursor of another account, or an edited one, fails the check and tells nothing about
 * positions anywhere else.
 */
export type EventPosition = number & { readonly __brand: 'EventPosition' };

const TAG_BYTES = 8;
const CURSOR_BYTES = 8 + TAG_BYTES;

export function eventPosition(value: number | string | bigint): EventPosition {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an event position: ${String(value)}`);
  return n as EventPosition;
}

function tag(accountId: string, position: number): Buffer {
  return createHash('sha256').update(`omnigate-event-cursor\0${accountId}\0${position}`).digest().subarray(0, TAG_BYTES);
}

export function encodeEventCursor(accountId: string, position: EventPosition): string {
  const bytes = Buffer.alloc(CURSOR_BYTES);
  bytes.writeBigUInt64BE(BigInt(position), 0);
  tag(accountId, position).copy(bytes, 8);
  return bytes.toString('base64url');
}

export type DecodedCursor = { ok: true; position: EventPosition } | { ok: false };

/** The position inside a cursor of this account, or not ok (malformed, edited, or another account's). */
export function decodeEventCursor(accountId: string, cursor: string): DecodedCursor {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return { ok: false };
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length !== CURSOR_BYTES || bytes.toString('base64url') !== cursor) return { ok: false };
  const raw = bytes.readBigUInt64BE(0);
  if (raw > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false };
  const position = Number(raw);
  if (!timingSafeEqual(bytes.subarray(8), tag(accountId, position))) return { ok: false };
  return { ok: true, position: position as EventPosition };
}
