import { describe, expect, it } from 'vitest';
import { addressRefusal, allowListEntryProblem, hostAllowedByName, ipLiteral, outboundPolicy, STRICT_POLICY } from '../../../src/net/address-policy.js';

describe('outbound address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
  ])('refuses %s (%s)', (address, words) => {
    const refusal = addressRefusal(address, STRICT_POLICY);
    expect(refusal).not.toBeNull();
    expect(refusal).toContain(words);
  });

  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(addressRefusal(address, STRICT_POLICY)).toBeNull();
  });

  it('allows everything when private URLs are allowed', () => {
    const policy = outboundPolicy(true, []);
    for (const a of ['127.0.0.1', '169.254.169.254', '::1']) expect(addressRefusal(a, policy)).toBeNull();
  });

  it('allows the ranges, addresses and host names on the allow-list, and nothing else private', () => {
    const policy = outboundPolicy(false, ['10.1.0.0/16', '127.0.0.1', 'fd00::/8', 'SMS-GW.internal.']);
    expect(addressRefusal('10.1.200.3', policy)).toBeNull();
    expect(addressRefusal('10.2.0.1', policy)).toContain('private');
    expect(addressRefusal('127.0.0.1', policy)).toBeNull();
    expect(addressRefusal('::ffff:127.0.0.1', policy)).toBeNull();
    expect(addressRefusal('127.0.0.2', policy)).toContain('loopback');
    expect(addressRefusal('fd00:ec2::254', policy)).toBeNull();
    expect(addressRefusal('::1', policy)).toContain('loopback');
    expect(hostAllowedByName('sms-gw.internal', policy)).toBe(true);
    expect(hostAllowedByName('other.internal', policy)).toBe(false);
  });

  it('tells IP hosts from host names, with or without brackets', () => {
    expect(ipLiteral('127.0.0.1')).toBe('127.0.0.1');
    expect(ipLiteral('[::1]')).toBe('::1');
    expect(ipLiteral('localhost')).toBeNull();
    expect(ipLiteral('0x7f.1')).toBeNull();
  });

  it('checks allow-list entries', () => {
    for (const ok of ['10.0.0.0/8', '192.168.1.5', '::1', 'fd00::/8', 'gateway.internal', 'localhost']) expect(allowListEntryProblem(ok)).toBeNull();
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'not a host', 'http://x', '']) expect(allowListEntryProblem(bad)).not.toBeNull();
  });
});

describe('PRIVATE_URL_ALLOW_LIST in the configuration', () => {
  it('is read as a list of entries and refuses one that is neither host, address nor range', async () => {
    const { loadConfig } = await import('../../../src/config.js');
    expect(loadConfig({ PRIVATE_URL_ALLOW_LIST: ' 10.0.0.0/8, gw.internal ,' }).PRIVATE_URL_ALLOW_LIST).toEqual(['10.0.0.0/8', 'gw.internal']);
    expect(loadConfig({}).PRIVATE_URL_ALLOW_LIST).toEqual([]);
    expect(loadConfig({}).ALLOW_PRIVATE_URLS).toBe(false);
    expect(() => loadConfig({ PRIVATE_URL_ALLOW_LIST: '10.0.0.0/99' })).toThrow(/PRIVATE_URL_ALLOW_LIST.*10\.0\.0\.0\/99 is not a CIDR range/s);
  });
});
