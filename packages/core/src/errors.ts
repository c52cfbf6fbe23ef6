/** Every error code `@tunnel/core` raises (each is in the README's Errors table). */
export type TunnelErrorCode =
  | 'ERR_TUNNEL_CONFIG'
  | 'ERR_TUNNEL_DUPLICATE_SERVICE'
  | 'ERR_TUNNEL_NO_CERT'
  | 'ERR_TUNNEL_BAD_PEM'
  | 'ERR_TUNNEL_SSL_VERSION_REFUSED'
  | 'ERR_TUNNEL_UNKNOWN_SSL_OPTION'
  | 'ERR_TUNNEL_PROTOCOL_CONTRACT'
  | 'ERR_TUNNEL_PROTOCOL_MODE'
  | 'ERR_TUNNEL_ADDRESS_IN_USE'
  | 'ERR_TUNNEL_LISTEN_FAILED'
  | 'ERR_TUNNEL_RESOLVE_FAILED'
  | 'ERR_TUNNEL_CONNECT_FAILED'
  | 'ERR_TUNNEL_NO_TARGET'
  | 'ERR_TUNNEL_REMOTE_CONNECTED'
  | 'ERR_TUNNEL_PLAINTEXT_INJECTION'
  | 'ERR_TUNNEL_TLS_HANDSHAKE'
  | 'ERR_TUNNEL_PEER_REJECTED'
  | 'ERR_TUNNEL_TIMEOUT_BUSY'
  | 'ERR_TUNNEL_TIMEOUT_IDLE'
  | 'ERR_TUNNEL_TIMEOUT_CONNECT'
  | 'ERR_TUNNEL_SHUTDOWN'
  | 'ERR_TUNNEL_CONNECTION'
  | 'ERR_TUNNEL_EXEC_FAILED';

/** Fields an error carries besides its code. */
export interface TunnelErrorDetails {
  readonly cause?: unknown;
  /** The service (`[name]`) the error belongs to. */
  readonly service?: string | undefined;
  /** The stunnel option at fault (`sslVersion`, `options`, `accept`, …). */
  readonly option?: string | undefined;
  /** The connection stage: `listen`, `connect`, `preConnect`, `preTls`, `tls`, `postTls`, `pump`. */
  readonly stage?: string | undefined;
}

/**
 * An error raised by core: a refused configuration, a listener that cannot
 * bind, or a connection that failed at some stage. Match on `code`.
 */
export class TunnelError extends Error {
  readonly code: TunnelErrorCode;
  readonly service: string | undefined;
  readonly option: string | undefined;
  readonly stage: string | undefined;

  constructor(code: TunnelErrorCode, message: string, details: TunnelErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TunnelError';
    this.code = code;
    this.service = details.service;
    this.option = details.option;
    this.stage = details.stage;
  }
}

/** The `code` of any thrown value (`ERR_TUNNEL_CONNECTION` when it has none), for logs and events. */
export function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return 'ERR_TUNNEL_CONNECTION';
}
