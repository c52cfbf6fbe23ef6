import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isLocalOnlyAddress } from './address.js';
import { socksError } from './errors.js';
import type { SocksStatus } from './reply.js';

/** Resolves a host name to its addresses (the shape of `dns.promises.lookup(host, { all: true })`). */
export type Lookup = (host: string) => Promise<readonly { address: string; family: number }[]>;

const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Options of `resolveSocksTarget`. */
export interface ResolveTargetOptions {
  /** Allow targets on this host's loopback or unspecified addresses (refused by default). */
  readonly allowLoopback?: boolean | undefined;
  /** Replaces the system resolver (tests, custom DNS). */
  readonly lookup?: Lookup | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Turns a requested host into the one address to connect to, applying the local-only policy:
 * a SOCKS client must not reach services listening on the tunnel host's loopback (or 0.0.0.0,
 * which Linux routes to it) unless `allowLoopback` is set. A name is resolved and EVERY address
 * it resolves to is checked, then the first one is returned, so the caller connects to exactly the
 * checked address and a second resolution (DNS rebinding) cannot swap in another.
 */
export async function resolveSocksTarget(host: string, options: ResolveTargetOptions = {}): Promise<string> {
  options.signal?.throwIfAborted();
  let addresses: readonly string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      const found = await raceAbort((options.lookup ?? defaultLookup)(host), options.signal);
      addresses = found.map((entry) => entry.address);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw socksError('ERR_TUNNEL_SOCKS_RESOLVE_FAILED', `cannot resolve ${host}: ${(error as Error).message}`, error);
    }
    if (addresses.length === 0) throw socksError('ERR_TUNNEL_SOCKS_RESOLVE_FAILED', `${host} resolves to no address`);
  }
  if (options.allowLoopback !== true) {
    const local = addresses.find(isLocalOnlyAddress);
    if (local !== undefined) {
      throw socksError(
        'ERR_TUNNEL_SOCKS_TARGET_REFUSED',
        `the SOCKS target ${host}${local === host ? '' : ` (${local})`} is a loopback or unspecified address of this host; set protocolAllowLoopback = yes to allow it`,
      );
    }
  }
  return addresses[0] as string;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The SOCKS reply status that best describes why resolving or connecting to the target failed. */
export function statusForConnectError(error: unknown): SocksStatus {
  const code = (error as { code?: unknown } | null)?.code ?? ((error as { cause?: { code?: unknown } } | null)?.cause?.code as unknown);
  switch (code) {
    case 'ERR_TUNNEL_SOCKS_TARGET_REFUSED':
      return 'not-allowed';
    case 'ECONNREFUSED':
      return 'connection-refused';
    case 'ENETUNREACH':
      return 'network-unreachable';
    case 'ERR_TUNNEL_SOCKS_RESOLVE_FAILED':
    case 'EHOSTUNREACH':
    case 'ETIMEDOUT':
      return 'host-unreachable';
    default: {
      const inner = (error as { cause?: unknown } | null)?.cause;
      return inner !== undefined && inner !== error ? statusForConnectError(inner) : 'general-failure';
    }
  }
}
