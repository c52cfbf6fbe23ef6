import { ProtocolError } from '@tunnel/protocol';

/** Every error code this package throws; each is listed in the README's Errors table. */
export type SocksErrorCode =
  | 'ERR_TUNNEL_SOCKS_BAD_VERSION'
  | 'ERR_TUNNEL_SOCKS_MALFORMED'
  | 'ERR_TUNNEL_SOCKS_FIELD_TOO_LONG'
  | 'ERR_TUNNEL_SOCKS_COMMAND_NOT_SUPPORTED'
  | 'ERR_TUNNEL_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED'
  | 'ERR_TUNNEL_SOCKS_NO_ACCEPTABLE_METHOD'
  | 'ERR_TUNNEL_SOCKS_AUTH_FAILED'
  | 'ERR_TUNNEL_SOCKS_TARGET_REFUSED'
  | 'ERR_TUNNEL_SOCKS_RESOLVE_FAILED'
  | 'ERR_TUNNEL_SOCKS_CONNECT_FAILED'
  | 'ERR_TUNNEL_SOCKS_BAD_OPTION';

/** Creates a `ProtocolError` with one of this package's codes; `stage` is always `socks`. */
export function socksError(code: SocksErrorCode, message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(code, message, { cause, stage: 'socks' });
}
