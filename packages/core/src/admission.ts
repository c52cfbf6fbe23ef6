/**
 * Connection caps and per-source rate limits (tunnel extensions `maxConnections`, `connectionRate`): decides,
 * at accept time and before any byte is read, whether a connection is served. Pure bookkeeping, no I/O.
 */
import type { ServiceOptions } from './types.js';

/** Why a connection was refused at admission. */
export interface Refusal {
  readonly code: 'ERR_TUNNEL_MAX_CONNECTIONS' | 'ERR_TUNNEL_CONNECTION_RATE';
  readonly reason: string;
}

/** Distinct source addresses remembered per service; beyond it the least recently seen one is forgotten (its bucket refills). */
export const RATE_LIMIT_ADDRESSES = 10_000;

/**
 * A token bucket per source address: `count` tokens, refilled continuously at `count` per `seconds`; a
 * connection takes one. Memory is bounded by `maxAddresses`, least recently seen first out; forgetting an
 * address only ever makes the limit looser for it, never stricter.
 */
export class RateLimiter {
  readonly count: number;
  readonly seconds: number;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly maxAddresses: number;

  constructor(rate: { readonly count: number; readonly seconds: number }, maxAddresses = RATE_LIMIT_ADDRESSES) {
    this.count = rate.count;
    this.seconds = rate.seconds;
    this.maxAddresses = maxAddresses;
  }

  /** Takes a token for `address` at time `now` (ms); false when the bucket is empty. */
  take(address: string, now: number = Date.now()): boolean {
    const perMs = this.count / (this.seconds * 1000);
    const bucket = this.buckets.get(address);
    let tokens = this.count;
    if (bucket !== undefined) {
      tokens = Math.min(this.count, bucket.tokens + Math.max(0, now - bucket.at) * perMs);
      // Re-inserting moves the address to the end: the Map's order is least recently seen first.
      this.buckets.delete(address);
    } else if (this.buckets.size >= this.maxAddresses) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    const allowed = tokens >= 1;
    this.buckets.set(address, { tokens: allowed ? tokens - 1 : tokens, at: now });
    return allowed;
  }

  /** Addresses currently remembered. */
  get size(): number {
    return this.buckets.size;
  }
}

/** Per-tunnel admission state: connections in flight per service and in total, and one rate limiter per service. */
export interface Admission {
  /** Admits (and counts) a connection, or says why not. */
  admit(service: ServiceOptions, address: string | undefined): Refusal | undefined;
  /** A counted connection of `service` is over. */
  release(service: string): void;
}

/** Creates the admission state of a tunnel; `globalMax` is the process-wide `maxConnections`. */
export function createAdmission(globalMax: number | undefined): Admission {
  const perService = new Map<string, number>();
  const limiters = new Map<string, RateLimiter>();
  let total = 0;

  const limiterFor = (service: ServiceOptions): RateLimiter | undefined => {
    const rate = service.connectionRate;
    if (rate === undefined) return undefined;
    const existing = limiters.get(service.name);
    // A reload that keeps the rate keeps the buckets; a changed rate starts afresh.
    if (existing !== undefined && existing.count === rate.count && existing.seconds === rate.seconds) return existing;
    const created = new RateLimiter(rate);
    limiters.set(service.name, created);
    return created;
  };

  return {
    admit(service, address) {
      if (globalMax !== undefined && total >= globalMax) {
        return { code: 'ERR_TUNNEL_MAX_CONNECTIONS', reason: `${total} connections in flight (global maxConnections = ${globalMax})` };
      }
      const current = perService.get(service.name) ?? 0;
      if (service.maxConnections !== undefined && current >= service.maxConnections) {
        return {
          code: 'ERR_TUNNEL_MAX_CONNECTIONS',
          reason: `${current} connections in flight (maxConnections = ${service.maxConnections})`,
        };
      }
      const limiter = limiterFor(service);
      // A Unix-socket peer has no address: all of them share one bucket.
      if (limiter !== undefined && !limiter.take(address ?? 'unix')) {
        return {
          code: 'ERR_TUNNEL_CONNECTION_RATE',
          reason: `more than ${limiter.count} connections in ${limiter.seconds} s from ${address ?? 'a Unix socket'} (connectionRate)`,
        };
      }
      total += 1;
      perService.set(service.name, current + 1);
      return undefined;
    },
    release(service) {
      total = Math.max(0, total - 1);
      const current = perService.get(service) ?? 0;
      if (current <= 1) perService.delete(service);
      else perService.set(service, current - 1);
    },
  };
}
