/** Codes of {@link SessionsError}. */
export type SessionsErrorCode =
  | 'ERR_TUNNEL_SESSIONS_BAD_ARGUMENT'
  | 'ERR_TUNNEL_SESSIONS_REDIS_CONNECT'
  | 'ERR_TUNNEL_SESSIONS_REDIS_TIMEOUT'
  | 'ERR_TUNNEL_SESSIONS_REDIS_CLOSED'
  | 'ERR_TUNNEL_SESSIONS_REDIS_REPLY'
  | 'ERR_TUNNEL_SESSIONS_RESP_MALFORMED'
  | 'ERR_TUNNEL_SESSIONS_CLUSTER_TIMEOUT';

/** A session cache failure. Stores never throw these at a handshake: they turn into misses and a `degraded` event. */
export class SessionsError extends Error {
  readonly code: SessionsErrorCode;

  constructor(code: SessionsErrorCode, message: string, details: { cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SessionsError';
    this.code = code;
  }
}
