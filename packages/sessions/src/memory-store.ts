import { randomBytes } from 'node:crypto';
import { SessionsError } from './errors.js';
import { createLru } from './lru.js';
import type { SessionStore } from './types.js';

/** Options of {@link createMemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** `sessionCacheSize`: most sessions kept (default 1000); 0 means no limit. */
  readonly maxEntries?: number | undefined;
  /** `sessionCacheTimeout`: seconds a session lives (default 300). */
  readonly ttlSeconds?: number | undefined;
  /** Ticket keys to hand out (e.g. from {@link deriveTicketKeys}); default 48 random bytes per store. */
  readonly ticketKeys?: Buffer | undefined;
}

/** Longest session ID TLS allows (RFC 5246 §7.4.1.2: at most 32 bytes); anything longer is not stored. */
export const MAX_SESSION_ID_BYTES = 32;
/** Largest session accepted (a DER session with a client certificate chain stays well below). */
export const MAX_SESSION_BYTES = 16 * 1024;

/** Checks the numbers shared by every store. */
export function checkCacheOptions(maxEntries: number, ttlSeconds: number): void {
  if (!Number.isInteger(maxEntries) || maxEntries < 0) {
    throw new SessionsError('ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', `maxEntries must be an integer >= 0, not ${maxEntries}`);
  }
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) {
    throw new SessionsError('ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', `ttlSeconds must be a number of seconds > 0, not ${ttlSeconds}`);
  }
}

/** True when an ID/session pair is within the sizes a store keeps. */
export function storable(id: Buffer, session: Buffer): boolean {
  return id.length > 0 && id.length <= MAX_SESSION_ID_BYTES && session.length > 0 && session.length <= MAX_SESSION_BYTES;
}

/** The per-process session cache: a bounded LRU with a lifetime (stunnel's internal cache). */
export function createMemorySessionStore(options: MemorySessionStoreOptions = {}): SessionStore & { readonly size: number } {
  const maxEntries = options.maxEntries ?? 1000;
  const ttlSeconds = options.ttlSeconds ?? 300;
  checkCacheOptions(maxEntries, ttlSeconds);
  if (options.ticketKeys !== undefined && options.ticketKeys.length !== 48) {
    throw new SessionsError('ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', `ticketKeys must be 48 bytes, not ${options.ticketKeys.length}`);
  }
  const lru = createLru<Buffer>({ maxEntries, ttlMs: ttlSeconds * 1000 });
  const keys = options.ticketKeys ?? randomBytes(48);
  return {
    async get(id) {
      return lru.get(id.toString('hex'));
    },
    async set(id, session) {
      if (storable(id, session)) lru.set(id.toString('hex'), session);
    },
    async ticketKeys() {
      return keys;
    },
    async close() {},
    get size() {
      return lru.size;
    },
  };
}
