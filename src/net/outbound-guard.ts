import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { addressRefusal, hostAllowedByName, ipLiteral, STRICT_POLICY, type OutboundPolicy } from './address-policy.js';

/** Resolves a host name to all its addresses, as dns.lookup with `all: true` does. */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

const systemResolveAll: ResolveAll = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

/** A connection refused because its address is not allowed: raised at connect time, so also after a DNS change. */
export class OutboundAddressRefusedError extends Error {
  readonly code = 'ERR_OUTBOUND_ADDRESS_REFUSED';

  constructor(reason: string) {
    super(`refused to connect: ${reason} (outbound requests may only reach public addresses; see ALLOW_PRIVATE_URLS and PRIVATE_URL_ALLOW_LIST)`);
    this.name = 'OutboundAddressRefusedError';
  }
}

/** How long a URL check waits for DNS before leaving the decision to the check at connect time. */
const RESOLVE_TIMEOUT_MS = 3_000;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Applies the outbound address policy twice: when a URL is given (a clear ValidationError for the client)
 * and when a connection is opened (`lookup` for the http agents and report pushes, `literalRefusal` for IP hosts,
 * which Node connects to without a lookup). The second check is what holds against DNS rebinding: a name
 * that resolved to a public address when it was given may resolve to 127.0.0.1 when it is used.
 */
export class OutboundGuard {
  constructor(
    readonly policy: OutboundPolicy,
    private readonly resolveAll: ResolveAll = systemResolveAll,
  ) {}

  static strict(): OutboundGuard {
    return new OutboundGuard(STRICT_POLICY);
  }

  get checksAddresses(): boolean {
    return !this.policy.allowPrivate;
  }

  /**
   * Why `url` may not be used as an outbound URL, or null. Every address its host resolves to must be
   * allowed. A host that does not exist is refused; one DNS cannot answer for now is left to the check at
   * connect time.
   */
  async urlProblem(url: string): Promise<string | null> {
    if (!this.checksAddresses) return null;
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return null; // not a URL at all: the field's own rule says so
    }
    if (hostAllowedByName(host, this.policy)) return null;
    const literal = ipLiteral(host);
    if (literal) return this.refusalWords(addressRefusal(literal, this.policy));
    let addresses: LookupAddress[];
    try {
      addresses = await withTimeout(this.resolveAll(host), RESOLVE_TIMEOUT_MS);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return `must name a host that exists (${host} does not resolve)`;
      return null;
    }
    for (const { address } of addresses) {
      const refusal = addressRefusal(address, this.policy);
      if (refusal) return this.refusalWords(`${host} resolves to ${address}; ${refusal}`);
    }
    return null;
  }

  /** At connect time, for a host that is an IP address (Node does not call `lookup` for those). */
  literalRefusal(host: string): OutboundAddressRefusedError | null {
    if (!this.checksAddresses) return null;
    const literal = ipLiteral(host);
    if (!literal) return null;
    const refusal = addressRefusal(literal, this.policy);
    return refusal ? new OutboundAddressRefusedError(refusal) : null;
  }

  /**
   * A `lookup` for net.connect (http.Agent and http.request accept one): resolves as usual, then connects only to
   * allowed addresses, failing when the host has none.
   */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    if (!this.checksAddresses || hostAllowedByName(hostname, this.policy)) {
      dns.lookup(hostname, options, callback as never);
      return;
    }
    this.resolveAll(hostname).then(
      (addresses) => {
        const allowed = addresses.filter((a) => addressRefusal(a.address, this.policy) === null);
        const first = allowed[0];
        if (!first) {
          const shown = addresses[0] ? `${hostname} resolves to ${addresses[0].address}; ${addressRefusal(addresses[0].address, this.policy)}` : `${hostname} has no address`;
          callback(new OutboundAddressRefusedError(shown), []);
          return;
        }
        if (options.all) callback(null, allowed);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };

  private refusalWords(refusal: string | null): string | null {
    return refusal ? `must not point at a loopback, private, link-local or other non-public address (${refusal})` : null;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(Object.assign(new Error('DNS did not answer in time'), { code: 'ETIMEOUT' })), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
