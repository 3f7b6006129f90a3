/**
 * The provider registry and the module contract every provider folder fulfils: the rest of the service
 * relies on these facts instead of provider names.
 */
import { describe, expect, it } from 'vitest';
import type { ProviderConnectionRow } from '../../../src/db/schema.js';
import { CHANNELS, PROVIDER_TYPES, type ProviderType } from '../../../src/domain/channel.js';
import { loadConfig } from '../../../src/config.js';
import type { ProviderHost } from '../../../src/providers/module.js';
import { BUILT_IN_PROVIDER, ProviderRegistry, isPolled, moduleFor } from '../../../src/providers/registry.js';

const BASE = 'https://omnigate.example/webhooks/x/0b5c1c2e-8f5e-4c43-9d61-3d0b8e0d4b11';

function connection(type: ProviderType): ProviderConnectionRow {
  return {
    id: '0b5c1c2e-8f5e-4c43-9d61-3d0b8e0d4b11',
    accountId: 'a1d3c0de-0000-4000-8000-000000000001',
    name: `${type} connection`,
    type,
    baseUrl: 'http://127.0.0.1:9',
    credentials: { apiKey: 'key', authToken: 'token' },
    channels: [...moduleFor(type).channels],
    options: {},
    callbackSecret: 'callback-secret-0123456789',
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

const connected = PROVIDER_TYPES.filter((t) => t !== BUILT_IN_PROVIDER);

const host: ProviderHost = {
  config: loadConfig({}),
  reports: async () => {},
  onReportError: (err) => {
    throw err;
  },
};

describe('provider registry', () => {
  it.each(PROVIDER_TYPES)('%s has a module of its own type, carrying at least one channel', (type) => {
    const module = moduleFor(type);
    expect(module.type).toBe(type);
    expect(module.channels.length).toBeGreaterThan(0);
    for (const channel of module.channels) expect(CHANNELS).toContain(channel);
  });

  it('routes each webhook slug to exactly one provider', () => {
    const slugs = PROVIDER_TYPES.flatMap((t) => moduleFor(t).webhooks?.slug ?? []);
    expect(slugs.length).toBeGreaterThan(0);
    expect(new Set(slugs).size).toBe(slugs.length);
    for (const slug of slugs) expect(slug).toMatch(/^[a-z]+$/); // what the webhook route accepts
  });

  it('the built-in provider needs no connection: no credential, no webhooks; the registry keeps one for steps without one', async () => {
    const module = moduleFor(BUILT_IN_PROVIDER);
    expect(module.requiredCredential).toBeNull();
    expect(module.webhooks).toBeNull();
    const registry = new ProviderRegistry(host, async () => null, () => null);
    try {
      const adapter = await registry.adapterFor({ connectionId: null });
      expect(adapter?.type).toBe(BUILT_IN_PROVIDER);
      expect(await registry.adapterFor({ connectionId: null })).toBe(adapter);
    } finally {
      registry.close();
    }
  });

  it('builds a connection\'s adapter once, and again only when the connection changed', async () => {
    let row = connection(connected[0]!);
    const registry = new ProviderRegistry(host, async (id) => (id === row.id ? row : null), () => BASE);
    try {
      const first = await registry.adapterFor({ connectionId: row.id });
      expect(first?.type).toBe(row.type);
      expect(await registry.adapterFor({ connectionId: row.id })).toBe(first);
      row = { ...row, updatedAt: new Date(1) };
      const second = await registry.adapterFor({ connectionId: row.id });
      expect(second).not.toBe(first);
      expect(second?.type).toBe(row.type);
      expect(await registry.adapterFor({ connectionId: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924' })).toBeNull();
    } finally {
      registry.close();
    }
  });

  it.each(connected)('%s: a connection needs a credential and has webhook URLs under its base', (type) => {
    const module = moduleFor(type);
    expect(module.requiredCredential).not.toBeNull();
    expect(module.defaultBaseUrl).toMatch(/^https:\/\//);
    const urls = module.webhooks!.urls(BASE, connection(type));
    expect(urls.length).toBeGreaterThan(0);
    expect(new Set(urls.map((u) => u.purpose)).size).toBe(urls.length);
    // The route takes /webhooks/<slug>/<id> plus a sub-path and a query: anything else would not reach the parser.
    for (const { url } of urls) expect(url.slice(BASE.length)).toMatch(/^(\/[a-z]+)?(\?.*)?$/);
    for (const { url } of urls) expect(url.startsWith(BASE)).toBe(true);
    expect(typeof module.webhooks!.createParser(connection(type)).parse).toBe('function');
  });

  it.each(connected)('%s: its adapter can poll exactly when the module says statuses are asked for', (type) => {
    const module = moduleFor(type);
    const adapter = module.createAdapter(connection(type), { webhookBase: BASE });
    expect(adapter.type).toBe(type);
    expect(typeof adapter.poll === 'function').toBe(module.statusPolling !== undefined);
    for (const channel of CHANNELS) {
      expect(isPolled(type, channel)).toBe(module.statusPolling?.channels.includes(channel) ?? false);
      if (isPolled(type, channel)) expect(module.channels).toContain(channel);
    }
  });
});
