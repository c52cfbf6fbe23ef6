/**
 * A least-recently-used map with a time to live: `sessionCacheSize` and
 * `sessionCacheTimeout` of one service. `maxEntries = 0` is unbounded (the
 * manual warns it invites memory exhaustion); expired entries still go.
 */
export interface Lru<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  readonly size: number;
}

/** Options of {@link createLru}. */
export interface LruOptions {
  /** Most entries kept; the least recently used goes first. 0: no limit. */
  readonly maxEntries: number;
  /** How long an entry lives after it was set, in milliseconds. */
  readonly ttlMs: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** How many least-recently-used entries each `set` checks for expiry, so an unbounded cache still sheds stale sessions. */
const SWEEP_PER_SET = 2;

/** Creates an LRU map; a Map's insertion order is the recency order (a read re-inserts). */
export function createLru<V>(options: LruOptions): Lru<V> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: V; expires: number }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      if (entry.expires <= now()) return undefined;
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value) {
      entries.delete(key);
      entries.set(key, { value, expires: now() + options.ttlMs });
      if (options.maxEntries > 0) {
        while (entries.size > options.maxEntries) {
          const oldest = entries.keys().next().value as string;
          entries.delete(oldest);
        }
      }
      let checked = 0;
      const time = now();
      for (const [oldKey, entry] of entries) {
        if (checked++ >= SWEEP_PER_SET) break;
        if (entry.expires <= time) entries.delete(oldKey);
      }
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}
