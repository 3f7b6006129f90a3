import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('loadConfig: where the database comes from', () => {
  it('starts an embedded PostgreSQL in development when DATABASE_URL is unset', () => {
    const config = loadConfig({});
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.EMBEDDED_DATABASE).toBeUndefined();
  });

  it('refuses production without DATABASE_URL unless the embedded database is asked for', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      'NODE_ENV=production needs DATABASE_URL (or EMBEDDED_DATABASE=true to run the embedded PostgreSQL on purpose).',
    );
    expect(loadConfig({ NODE_ENV: 'production', EMBEDDED_DATABASE: 'true' }).EMBEDDED_DATABASE).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db.internal/omnigate' }).DATABASE_URL).toBe('postgres://db.internal/omnigate');
  });

  it('refuses EMBEDDED_DATABASE=false with nothing to connect to', () => {
    expect(() => loadConfig({ EMBEDDED_DATABASE: 'false' })).toThrow('EMBEDDED_DATABASE=false needs DATABASE_URL');
  });
});
