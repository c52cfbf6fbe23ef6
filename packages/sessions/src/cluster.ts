import { randomBytes } from 'node:crypto';
import type { Cluster, Worker } from 'node:cluster';
import { SessionsError } from './errors.js';
import { checkCacheOptions, createMemorySessionStore, storable } from './memory-store.js';
import { report } from './status-channel.js';
import type { SessionStore, SessionStoreListener } from './types.js';

/**
 * Session sharing between node:cluster workers: the primary holds one LRU per
 * namespace (service) and the ticket keys; workers ask it over the IPC channel.
 * Messages carry `tunnelSessions: 1` so they never mix with the application's.
 */

interface Request {
  readonly tunnelSessions: 1;
  readonly seq: number;
  readonly op: 'get' | 'set' | 'keys';
  readonly ns: string;
  readonly id?: string;
  readonly session?: string;
  readonly maxEntries?: number;
  readonly ttlSeconds?: number;
}

interface Reply {
  readonly tunnelSessions: 1;
  readonly seq: number;
  readonly session?: string;
  readonly keys?: string;
}

/** Most namespaces the primary keeps (one per service): a misbehaving worker cannot grow it without bound. */
export const MAX_CLUSTER_NAMESPACES = 1024;
const MAX_NAMESPACE_LENGTH = 256;

function isRequest(message: unknown): message is Request {
  const m = message as Partial<Request> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.tunnelSessions === 1 &&
    typeof m.seq === 'number' &&
    (m.op === 'get' || m.op === 'set' || m.op === 'keys') &&
    typeof m.ns === 'string' &&
    m.ns.length <= MAX_NAMESPACE_LENGTH
  );
}

/** Options of {@link serveClusterSessions}. */
export interface ClusterServeOptions {
  /** The cluster module (default `node:cluster`); the primary side of it. */
  readonly cluster?: Cluster | undefined;
  /** Defaults for a namespace whose worker sends none: `sessionCacheSize` 1000, `sessionCacheTimeout` 300 s. */
  readonly maxEntries?: number | undefined;
  readonly ttlSeconds?: number | undefined;
}

/**
 * Primary side: answers the workers' session and ticket-key requests. Call it
 * in the primary before forking. Returns a function that stops answering.
 */
export async function serveClusterSessions(options: ClusterServeOptions = {}): Promise<{ close(): void }> {
  const cluster = options.cluster ?? (await import('node:cluster')).default;
  const defaults = { maxEntries: options.maxEntries ?? 1000, ttlSeconds: options.ttlSeconds ?? 300 };
  checkCacheOptions(defaults.maxEntries, defaults.ttlSeconds);
  const stores = new Map<string, ReturnType<typeof createMemorySessionStore>>();
  const keys = new Map<string, Buffer>();

  const storeOf = (request: Request) => {
    let store = stores.get(request.ns);
    if (store === undefined) {
      if (stores.size >= MAX_CLUSTER_NAMESPACES) return undefined;
      let maxEntries = request.maxEntries ?? defaults.maxEntries;
      let ttlSeconds = request.ttlSeconds ?? defaults.ttlSeconds;
      try {
        checkCacheOptions(maxEntries, ttlSeconds);
      } catch {
        ({ maxEntries, ttlSeconds } = defaults);
      }
      store = createMemorySessionStore({ maxEntries, ttlSeconds });
      stores.set(request.ns, store);
    }
    return store;
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isRequest(message)) return;
    const answer = (reply: Omit<Reply, 'tunnelSessions' | 'seq'>) => {
      if (worker.isConnected()) worker.send({ tunnelSessions: 1, seq: message.seq, ...reply } satisfies Reply);
    };
    const store = storeOf(message);
    const id = typeof message.id === 'string' ? Buffer.from(message.id, 'base64') : undefined;
    if (message.op === 'keys') {
      let shared = keys.get(message.ns);
      if (shared === undefined && keys.size < MAX_CLUSTER_NAMESPACES) {
        shared = randomBytes(48);
        keys.set(message.ns, shared);
      }
      answer(shared === undefined ? {} : { keys: shared.toString('base64') });
    } else if (message.op === 'get') {
      if (store === undefined || id === undefined) answer({});
      else void store.get(id).then((session) => answer(session === undefined ? {} : { session: session.toString('base64') }));
    } else if (store !== undefined && id !== undefined && typeof message.session === 'string') {
      const session = Buffer.from(message.session, 'base64');
      if (storable(id, session)) void store.set(id, session);
    }
  };
  cluster.on('message', onMessage);
  return { close: () => void cluster.off('message', onMessage) };
}

/** Options of {@link clusterSessionStore}. */
export interface ClusterStoreOptions {
  /** Which cache on the primary: use the service name. */
  readonly namespace: string;
  /** `sessionCacheSize` and `sessionCacheTimeout` of the service, applied when the primary creates the namespace. */
  readonly maxEntries?: number | undefined;
  readonly ttlSeconds?: number | undefined;
  /** How long to wait for the primary before a miss (default 200 ms; ticket keys get 5 times as long). */
  readonly timeoutMs?: number | undefined;
  /** Told once when the primary stops answering, and once when it answers again. */
  readonly onEvent?: SessionStoreListener | undefined;
  /** The worker's process (default `process`); it needs `send` (a child forked with IPC). */
  readonly process?: NodeJS.Process | undefined;
}

type Waiter = (reply: Reply | undefined) => void;
const waiters = new Map<number, Waiter>();
let sequence = 0;
const listening = new WeakSet<NodeJS.Process>();

function ask(proc: NodeJS.Process, request: Omit<Request, 'tunnelSessions' | 'seq'>, timeoutMs: number): Promise<Reply | undefined> {
  if (!listening.has(proc)) {
    listening.add(proc);
    proc.on('message', (message: Partial<Reply> | null) => {
      if (typeof message !== 'object' || message === null || message.tunnelSessions !== 1 || typeof message.seq !== 'number') return;
      waiters.get(message.seq)?.(message as Reply);
    });
  }
  return new Promise((resolve) => {
    sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER;
    const seq = sequence;
    const timer = setTimeout(() => {
      waiters.delete(seq);
      resolve(undefined);
    }, timeoutMs);
    timer.unref();
    waiters.set(seq, (reply) => {
      clearTimeout(timer);
      waiters.delete(seq);
      resolve(reply);
    });
    try {
      proc.send?.({ tunnelSessions: 1, seq, ...request } satisfies Request);
    } catch {
      waiters.get(seq)?.(undefined);
    }
  });
}

/**
 * Worker side: a {@link SessionStore} that asks the primary (see
 * {@link serveClusterSessions}). A primary that does not answer within
 * `timeoutMs` is a miss, never an error; ticket keys then fall back to this
 * worker's own (its tickets resume on this worker only).
 */
export function clusterSessionStore(options: ClusterStoreOptions): SessionStore {
  const proc = options.process ?? process;
  if (typeof proc.send !== 'function') {
    throw new SessionsError('ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', 'clusterSessionStore runs in a cluster worker (process.send is missing)');
  }
  const timeoutMs = options.timeoutMs ?? 200;
  const ns = options.namespace;
  const store = `cluster primary (${ns})`;
  let degraded = false;
  const answered = (reply: Reply | undefined): Reply | undefined => {
    if (reply === undefined && !degraded) {
      degraded = true;
      report(options.onEvent, {
        type: 'degraded',
        store,
        code: 'ERR_TUNNEL_SESSIONS_CLUSTER_TIMEOUT',
        message: `session cache degraded: the cluster primary did not answer within ${timeoutMs} ms; sessions from other workers will not resume`,
      });
    } else if (reply !== undefined && degraded) {
      degraded = false;
      report(options.onEvent, { type: 'restored', store, message: 'session cache restored: the cluster primary answers again' });
    }
    return reply;
  };
  let keys: Promise<Buffer> | undefined;
  return {
    async get(id) {
      if (id.length === 0 || id.length > 32) return undefined;
      const reply = answered(
        await ask(
          proc,
          { op: 'get', ns, id: id.toString('base64'), maxEntries: options.maxEntries, ttlSeconds: options.ttlSeconds },
          timeoutMs,
        ),
      );
      return typeof reply?.session === 'string' ? Buffer.from(reply.session, 'base64') : undefined;
    },
    async set(id, session) {
      if (!storable(id, session)) return;
      try {
        proc.send?.({
          tunnelSessions: 1,
          seq: 0,
          op: 'set',
          ns,
          id: id.toString('base64'),
          session: session.toString('base64'),
          maxEntries: options.maxEntries,
          ttlSeconds: options.ttlSeconds,
        } satisfies Request);
      } catch {}
    },
    ticketKeys() {
      keys ??= ask(proc, { op: 'keys', ns }, timeoutMs * 5).then((reply) => {
        const shared = typeof answered(reply)?.keys === 'string' ? Buffer.from(reply?.keys as string, 'base64') : undefined;
        return shared?.length === 48 ? shared : randomBytes(48);
      });
      return keys;
    },
    async close() {},
  };
}
