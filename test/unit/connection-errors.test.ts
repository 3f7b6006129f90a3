import { describe, expect, it } from 'vitest';
import { isConnectionLoss } from '../../src/db/connection-errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isConnectionLoss', () => {
  it('recognises a terminated backend, a server shutting down or starting, and connection exceptions', () => {
    expect(isConnectionLoss(withCode('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isConnectionLoss(withCode('terminating connection because of crash of another server process', '57P02'))).toBe(true);
    expect(isConnectionLoss(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(isConnectionLoss(withCode('connection failure', '08006'))).toBe(true);
  });

  it('recognises socket failures and pg’s own messages for a connection that ended', () => {
    expect(isConnectionLoss(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isConnectionLoss(withCode('read ECONNRESET', 'ECONNRESET'))).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
  });

  it('leaves statement errors alone: retrying those would repeat the same mistake', () => {
    expect(isConnectionLoss(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isConnectionLoss(withCode('deadlock detected', '40P01'))).toBe(false);
    expect(isConnectionLoss(withCode('canceling statement due to statement timeout', '57014'))).toBe(false);
    expect(isConnectionLoss(new Error('syntax error at or near "selec"'))).toBe(false);
    expect(isConnectionLoss('Connection terminated')).toBe(false);
  });
});
