import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { outboundPolicy, STRICT_POLICY } from '../../../src/net/address-policy.js';
import { OutboundAddressRefusedError, OutboundGuard, type ResolveAll } from '../../../src/net/outbound-guard.js';

/** A DNS that answers from a table, and can change its answers (as a rebinding attacker's DNS does). */
function fakeDns(table: Record<string, string[]>): ResolveAll & { table: Record<string, string[]> } {
  const resolve = (async (host: string): Promise<LookupAddress[]> => {
    const addresses = resolve.table[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }) as ResolveAll & { table: Record<string, string[]> };
  resolve.table = table;
  return resolve;
}

function lookupOnce(guard: OutboundGuard, host: string, all: boolean): Promise<{ err: Error | null; address: unknown; family?: number }> {
  return new Promise((resolve) => guard.lookup(host, { all }, (err, address, family) => resolve({ err, address, family })));
}

describe('outbound URL guard', () => {
  const dns = fakeDns({
    'public.example': ['93.184.215.14'],
    'internal.example': ['10.0.0.7'],
    'mixed.example': ['93.184.215.14', '127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
  });
  const guard = new OutboundGuard(STRICT_POLICY, dns);

  it('accepts a URL whose host resolves only to public addresses', async () => {
    expect(await guard.urlProblem('https://public.example/hook')).toBeNull();
    expect(await guard.urlProblem('https://93.184.215.14/hook')).toBeNull();
  });

  it('refuses a URL whose host resolves to any private address, naming host and address', async () => {
    expect(await guard.urlProblem('https://internal.example/hook')).toMatch(/internal\.example resolves to 10\.0\.0\.7; 10\.0\.0\.7 is a private address/);
    expect(await guard.urlProblem('https://mixed.example/hook')).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(await guard.urlProblem('http://metadata.example/latest')).toMatch(/cloud metadata/);
  });

  it('refuses IP hosts in every spelling the URL parser normalises', async () => {
    for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]/', 'http://[::ffff:7f00:1]/', 'http://0.0.0.0/', 'http://[fd00:ec2::254]/']) {
      expect(await guard.urlProblem(url), url).not.toBeNull();
    }
  });

  it('refuses a host that does not exist', async () => {
    expect(await guard.urlProblem('https://nowhere.example/hook')).toMatch(/does not resolve/);
  });

  it('checks nothing when private URLs are allowed, and trusts allow-listed names', async () => {
    expect(await new OutboundGuard(outboundPolicy(true, []), dns).urlProblem('http://internal.example/')).toBeNull();
    expect(await new OutboundGuard(outboundPolicy(false, ['internal.example']), dns).urlProblem('http://internal.example/')).toBeNull();
  });

  it('at connect time, connects only to allowed addresses of the host', async () => {
    expect(await lookupOnce(guard, 'mixed.example', true)).toEqual({ err: null, address: [{ address: '93.184.215.14', family: 4 }], family: undefined });
    expect(await lookupOnce(guard, 'mixed.example', false)).toEqual({ err: null, address: '93.184.215.14', family: 4 });
  });

  it('at connect time, refuses a host that now resolves to loopback though it was public when given (DNS rebinding)', async () => {
    const rebinding = fakeDns({ 'rebind.example': ['93.184.215.14'] });
    const g = new OutboundGuard(STRICT_POLICY, rebinding);
    expect(await g.urlProblem('https://rebind.example/hook')).toBeNull();
    rebinding.table['rebind.example'] = ['127.0.0.1'];
    const { err } = await lookupOnce(g, 'rebind.example', true);
    expect(err).toBeInstanceOf(OutboundAddressRefusedError);
    expect(err?.message).toMatch(/rebind\.example resolves to 127\.0\.0\.1; 127\.0\.0\.1 is a loopback address/);
  });

  it('at connect time, refuses IP hosts (which Node connects to without a lookup)', () => {
    expect(guard.literalRefusal('127.0.0.1')).toBeInstanceOf(OutboundAddressRefusedError);
    expect(guard.literalRefusal('[::1]')).toBeInstanceOf(OutboundAddressRefusedError);
    expect(guard.literalRefusal('93.184.215.14')).toBeNull();
    expect(guard.literalRefusal('public.example')).toBeNull();
  });
});
