/**
 * A server-side TLS session cache keyed by session ID, the shape
 * `@tunnel/core`'s `sessionStore` option takes (structurally: this package
 * does not depend on core). Sessions are OpenSSL's DER encoding and hold the
 * master secret.
 */
export interface SessionStore {
  /** The session stored under `id`, or undefined (a miss). Never rejects. */
  get(id: Buffer): Promise<Buffer | undefined>;
  /** Stores `session` under `id` for the store's lifetime setting. Never rejects. */
  set(id: Buffer, session: Buffer): Promise<void>;
  /**
   * The 48 bytes of session ticket keys (Node's `ticketKeys` layout: 16 name,
   * 16 HMAC, 16 AES) this store's peers share. Never rejects: on failure it
   * falls back to keys of this process and reports `degraded`.
   */
  ticketKeys(): Promise<Buffer>;
  /** Releases timers and connections. */
  close(): Promise<void>;
}

/** What a shared store reports about itself; the application decides what to log (the library never prints). */
export type SessionStoreEvent =
  | {
      readonly type: 'degraded';
      /** Which store (e.g. `redis 127.0.0.1:6379`). */
      readonly store: string;
      readonly code: string;
      readonly message: string;
      readonly cause?: unknown;
    }
  | { readonly type: 'restored'; readonly store: string; readonly message: string };

/** Receives store events; also published on the `tunnel:sessions:status` diagnostics channel. */
export type SessionStoreListener = (event: SessionStoreEvent) => void;
