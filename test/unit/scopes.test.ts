import { describe, expect, it } from 'vitest';
import { effectiveScopes, grants, SCOPES, scopesFromStorage, type Scope } from '../../src/domain/scopes.js';

describe('scopes', () => {
  // Each row: a key holding `held` may (true) or may not (false) do what needs each scope.
  const table: Array<{ held: Scope[]; read: boolean; send: boolean; console: boolean; admin: boolean }> = [
    { held: ['read'], read: true, send: false, console: false, admin: false },
    { held: ['send'], read: false, send: true, console: false, admin: false },
    { held: ['console'], read: true, send: false, console: true, admin: false },
    { held: ['admin'], read: true, send: true, console: true, admin: true },
    { held: ['read', 'send'], read: true, send: true, console: false, admin: false },
    { held: [], read: false, send: false, console: false, admin: false },
  ];

  it.each(table)('a key with [$held] grants read=$read send=$send console=$console admin=$admin', (row) => {
    for (const needed of SCOPES) expect(grants(row.held, needed), needed).toBe(row[needed]);
  });

  it('admin implies every scope there is', () => {
    expect([...effectiveScopes(['admin'])].sort()).toEqual([...SCOPES].sort());
  });

  it('stored scope names that no longer exist grant nothing', () => {
    expect(scopesFromStorage(['read', 'superuser', 'send'])).toEqual(['read', 'send']);
  });
});
