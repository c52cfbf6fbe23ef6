import { randomBytes } from 'node:crypto';
import { SessionsError } from './errors.js';
import { checkCacheOptions, createMemorySessionStore, storable } from './memory-store.js';
import { connectRedis, type RedisConnection } from './redis-client.js';
import { report } from './status-channel.js';
import type { SessionStore, SessionStoreListener } from './types.js';

/** Options of {@link createRedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** Redis server (`sessiond = HOST:PORT`). */
  readonly host: string;
  readonly port: number;
  /** Redis `requirepass`, sent with AUTH. */
  readonly password?: string | undefined;
  /** Keys are `tunnel:<namespace>:session:<id hex>` and `tunnel:<namespace>:ticket-keys`; use the service name. */
  readonly namespace: string;
  /** `sessionCacheTimeout`: seconds a session lives, locally and in Redis (default 300). */
  readonly ttlSeconds?: number | undefined;
  /** `sessionCacheSize` of the local cache in front of Redis (default 1000; 0: no limit). */
  readonly maxEntries?: number | undefined;
  /** Bound on connecting and on each command in milliseconds (default 200). Slower counts as down. */
  readonly timeoutMs?: number | undefined;
  /** First wait before reconnecting after a failure (default 1000 ms); doubles up to 30 s. */
  readonly retryMs?: number | undefined;
  /** Fixed ticket keys (from `deriveTicketKeys`): then Redis shares sessions only, not keys. */
  readonly ticketKeys?: Buffer | undefined;
  /** Told once when Redis becomes unusable (`degraded`) and once when it is back (`restored`). */
  readonly onEvent?: SessionStoreListener | undefined;
}

const MAX_RETRY_MS = 30_000;

/**
 * A session cache shared through Redis, so tunnels behind one L4 balancer
 * resume each other's sessions. Every session is also kept in a local LRU
 * that answers first, so an outage costs only the sessions made elsewhere.
 * While Redis is down or slow, no handshake waits on it: calls go to the
 * local cache only, one `degraded` event is reported, and a reconnect is
 * tried in the background with a growing pause.
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions): SessionStore {
  const ttlSeconds = options.ttlSeconds ?? 300;
  const maxEntries = options.maxEntries ?? 1000;
  checkCacheOptions(maxEntries, ttlSeconds);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535 || options.host === '') {
    throw new SessionsError('ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', `not a Redis address: ${options.host}:${options.port}`);
  }
  const local = createMemorySessionStore({ maxEntries, ttlSeconds, ticketKeys: options.ticketKeys });
  const name = `redis ${options.host}:${options.port}`;
  const prefix = `tunnel:${options.namespace}:`;
  const ttlMs = String(Math.max(1, Math.round(ttlSeconds * 1000)));
  const retryMs = options.retryMs ?? 1000;

  let connection: RedisConnection | undefined;
  let connecting: Promise<RedisConnection | undefined> | undefined;
  let degraded = false;
  let nextAttempt = 0;
  let backoff = retryMs;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  const fail = (error: unknown) => {
    connection?.close();
    connection = undefined;
    nextAttempt = Date.now() + backoff;
    if (!closed && retryTimer === undefined) {
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        nextAttempt = 0;
        void ensure();
      }, backoff);
      retryTimer.unref();
    }
    backoff = Math.min(backoff * 2, MAX_RETRY_MS);
    if (degraded || closed) return;
    degraded = true;
    const code = (error as { code?: string }).code ?? 'ERR_TUNNEL_SESSIONS_REDIS_CONNECT';
    report(options.onEvent, {
      type: 'degraded',
      store: name,
      code,
      message: `session cache degraded: ${(error as Error).message}; using the local cache until Redis answers again`,
      cause: error,
    });
  };

  /** The open connection, a connection attempt when the pause is over, or undefined (go local). */
  const ensure = (): Promise<RedisConnection | undefined> => {
    if (closed) return Promise.resolve(undefined);
    if (connection?.open) return Promise.resolve(connection);
    if (connecting !== undefined) return connecting;
    if (Date.now() < nextAttempt) return Promise.resolve(undefined);
    connecting = connectRedis({ host: options.host, port: options.port, timeoutMs: options.timeoutMs, password: options.password }).then(
      (opened) => {
        connecting = undefined;
        if (closed) {
          opened.close();
          return undefined;
        }
        connection = opened;
        backoff = retryMs;
        opened.onEnd((error) => {
          if (connection === opened && !closed)
            fail(error ?? new SessionsError('ERR_TUNNEL_SESSIONS_REDIS_CLOSED', `${name}: connection closed`));
        });
        if (degraded) {
          degraded = false;
          report(options.onEvent, { type: 'restored', store: name, message: `session cache restored: ${name} answers again` });
        }
        return opened;
      },
      (error: unknown) => {
        connecting = undefined;
        fail(error);
        return undefined;
      },
    );
    return connecting;
  };

  /** Runs a command on the open connection only: a handshake never waits for a connection attempt. */
  const now = async (args: ReadonlyArray<string | Buffer>) => {
    const open = connection?.open ? connection : undefined;
    if (open === undefined) {
      void ensure();
      return undefined;
    }
    try {
      return await open.command(args);
    } catch (error) {
      if ((error as SessionsError).code !== 'ERR_TUNNEL_SESSIONS_REDIS_REPLY') fail(error);
      return undefined;
    }
  };

  let sharedKeys: Promise<Buffer> | undefined;
  const fetchTicketKeys = async (): Promise<Buffer> => {
    if (options.ticketKeys !== undefined) return options.ticketKeys;
    const open = await ensure();
    if (open === undefined) return local.ticketKeys();
    const key = `${prefix}ticket-keys`;
    try {
      // The first instance to get here sets the keys (NX); everyone then reads the winner's.
      await open.command(['SET', key, randomBytes(48), 'NX']);
      const stored = await open.command(['GET', key]);
      if (Buffer.isBuffer(stored) && stored.length === 48) return stored;
      throw new SessionsError('ERR_TUNNEL_SESSIONS_REDIS_REPLY', `${name}: ${key} does not hold 48 bytes`);
    } catch (error) {
      fail(error);
      return local.ticketKeys();
    }
  };

  void ensure();
  return {
    async get(id) {
      const hit = await local.get(id);
      if (hit !== undefined || id.length === 0 || id.length > 32) return hit;
      const reply = await now(['GET', `${prefix}session:${id.toString('hex')}`]);
      if (!Buffer.isBuffer(reply) || !storable(id, reply)) return undefined;
      await local.set(id, reply);
      return reply;
    },
    async set(id, session) {
      if (!storable(id, session)) return;
      await local.set(id, session);
      await now(['SET', `${prefix}session:${id.toString('hex')}`, session, 'PX', ttlMs]);
    },
    ticketKeys() {
      sharedKeys ??= fetchTicketKeys();
      return sharedKeys;
    },
    async close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      connection?.close();
      connection = undefined;
    },
  };
}
