import { randomBytes } from 'node:crypto';
import type { ServiceConfig } from '@tunnel/config-parser';
import type { LogLevel, TlsServiceOptions } from '@tunnel/core';
import {
  createMemorySessionStore,
  createRedisSessionStore,
  deriveTicketKeys,
  type SessionStore,
  type SessionStoreEvent,
} from '@tunnel/sessions';

/**
 * The session options of one service (`sessionCacheSize`, `sessionCacheTimeout`,
 * `sessionResume`, `sessiond`, `ticketKeySecret`/`ticketMacSecret`) turned into
 * core's `sessionStore`, `ticketKeys` and `sessionResume`.
 *
 * Stores and default ticket keys live as long as the process, keyed by service
 * name and settings, so a SIGHUP reload keeps the sessions and tickets clients
 * already hold (stunnel loses them; keeping them is what a reload is for).
 */

type Say = (level: LogLevel, message: string) => void;

/** Messages from before the log is open (start-up) wait here, a few at most. */
const MAX_PENDING = 20;
const pending: Array<[LogLevel, string]> = [];
let sink: Say | undefined;

function say(level: LogLevel, message: string): void {
  if (sink !== undefined) sink(level, message);
  else if (pending.length < MAX_PENDING) pending.push([level, message]);
}

/** Sends session cache messages (outages, an unbounded cache) to the log from now on; what came before is written first. */
export function logSessionEvents(write: Say): void {
  sink = write;
  for (const [level, message] of pending.splice(0)) write(level, message);
}

function onEvent(service: string): (event: SessionStoreEvent) => void {
  return (event) => say(event.type === 'degraded' ? 4 : 5, `Service [${service}]: ${event.message}`);
}

interface Kept {
  readonly settings: string;
  readonly store: SessionStore;
}

const stores = new Map<string, Kept>();
const processTicketKeys = new Map<string, Buffer>();

/** A setting this build cannot carry out, with the option to blame. */
export class SessionSetupError extends Error {
  readonly code = 'ERR_TUNNEL_OPTION_REFUSED';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The TLS session fields of a service. Server mode: a bounded LRU, or a Redis-backed one with `sessiond`; ticket keys derived
 * from the secrets, shared through Redis, or random once per process and service. Client mode: only `sessionResume`.
 */
export async function sessionOptions(
  service: ServiceConfig,
): Promise<Pick<TlsServiceOptions, 'sessionResume' | 'sessionStore' | 'ticketKeys'>> {
  if (service.client || !service.sessionResume) return { sessionResume: service.sessionResume };
  const fixed =
    service.ticketKeySecret !== undefined && service.ticketMacSecret !== undefined
      ? deriveTicketKeys({ keySecret: Buffer.from(service.ticketKeySecret, 'hex'), macSecret: Buffer.from(service.ticketMacSecret, 'hex') })
      : undefined;
  const sessiond = service.sessiond;
  if (sessiond?.kind === 'unix') {
    throw new SessionSetupError('sessiond', 'takes HOST:PORT of a Redis server; a Unix socket path is not supported');
  }
  const maxEntries = service.sessionCacheSize;
  const ttlSeconds = service.sessionCacheTimeout > 0 ? service.sessionCacheTimeout : 1;
  const settings = JSON.stringify([sessiond?.host, sessiond?.port, maxEntries, ttlSeconds, fixed?.toString('hex')]);
  let kept = stores.get(service.name);
  if (kept?.settings !== settings) {
    void kept?.store.close();
    let store: SessionStore;
    if (sessiond === undefined) {
      let keys = fixed ?? processTicketKeys.get(service.name);
      if (keys === undefined) {
        keys = randomBytes(48);
        processTicketKeys.set(service.name, keys);
      }
      store = createMemorySessionStore({ maxEntries, ttlSeconds, ticketKeys: keys });
    } else {
      // stunnel resolves a sessiond address without a host to the loopback address.
      const host = sessiond.host ?? '127.0.0.1';
      store = createRedisSessionStore({
        host,
        port: sessiond.port,
        namespace: service.name,
        maxEntries,
        ttlSeconds,
        ticketKeys: fixed,
        onEvent: onEvent(service.name),
      });
    }
    kept = { settings, store };
    stores.set(service.name, kept);
    if (maxEntries === 0) {
      say(4, `Service [${service.name}]: sessionCacheSize = 0: the session cache is unbounded, which invites memory exhaustion`);
    }
  }
  return { sessionResume: true, sessionStore: kept.store, ticketKeys: await kept.store.ticketKeys() };
}
