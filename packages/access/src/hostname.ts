import { promises as dns } from 'node:dns';
import { normalizeAddress } from './match.js';

/** The two lookups a hostname check needs; replaceable for tests or other resolvers. */
export interface HostLookups {
  /** Names for an address (reverse lookup). */
  reverse(address: string): Promise<string[]>;
  /** Addresses for a name (forward lookup), used to confirm the reverse answer. */
  forward(name: string): Promise<string[]>;
}

/**
 * Lookups through the C library (getnameinfo / getaddrinfo), i.e. nsswitch: /etc/hosts first, then
 * DNS — the same sources libwrap's gethostbyaddr/gethostbyname use. The default.
 */
export const systemLookups: HostLookups = {
  reverse: async (address) => {
    const { hostname } = await dns.lookupService(address, 0);
    // getnameinfo falls back to the numeric form when there is no name: that is "unknown".
    return hostname === address || normalizeAddress(hostname) === normalizeAddress(address) ? [] : [hostname];
  },
  forward: async (name) => (await dns.lookup(name, { all: true, verbatim: true })).map((entry) => entry.address),
};

/** Lookups through DNS only (`dns.Resolver.reverse` + resolve4/resolve6), ignoring /etc/hosts. */
export function dnsLookups(options: { servers?: readonly string[]; timeoutMs?: number } = {}): HostLookups {
  const resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 3000, tries: 1 });
  if (options.servers !== undefined) resolver.setServers([...options.servers]);
  return {
    reverse: (address) => resolver.reverse(address),
    forward: async (name) => {
      const results = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
      return results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    },
  };
}

/** A client's host name facts for hosts_access(5). */
export interface HostnameFacts {
  readonly hostname: string | undefined;
  readonly paranoid: boolean;
}

async function bounded<T>(promise: Promise<T>, deadline: number, signal: AbortSignal | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('host name lookup timed out')), Math.max(0, deadline - Date.now()));
        onAbort = () => reject(new Error('host name lookup aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Finds the client's host name the way tcp_wrappers does: reverse lookup, then a forward lookup of
 * that name that must lead back to the address. No name, a failed or slow lookup (past `timeoutMs`,
 * default 5000) gives an unknown name; a name that does not map back is PARANOID (and unknown).
 */
export async function resolveHostname(
  address: string,
  options: { lookups?: HostLookups; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HostnameFacts> {
  const lookups = options.lookups ?? systemLookups;
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const wanted = normalizeAddress(address);
  let name: string | undefined;
  try {
    name = (await bounded(lookups.reverse(address), deadline, options.signal))[0];
  } catch {
    return { hostname: undefined, paranoid: false };
  }
  if (name === undefined || name === '') return { hostname: undefined, paranoid: false };
  let forward: string[];
  try {
    forward = await bounded(lookups.forward(name), deadline, options.signal);
  } catch {
    // A name that cannot be confirmed at all is treated like a mismatch: never trust an unverified PTR.
    return { hostname: undefined, paranoid: true };
  }
  const confirmed = forward.some((candidate) => normalizeAddress(candidate) === wanted);
  return confirmed ? { hostname: name.toLowerCase().replace(/\.$/, ''), paranoid: false } : { hostname: undefined, paranoid: true };
}
