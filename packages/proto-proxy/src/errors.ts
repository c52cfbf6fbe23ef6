import { ProtocolError } from '@tunnel/protocol';

/** Every error code this package throws; each is listed in the README's Errors table. */
export type ProxyErrorCode =
  | 'ERR_TUNNEL_PROXY_BAD_HEADER'
  | 'ERR_TUNNEL_PROXY_HEADER_TOO_LONG'
  | 'ERR_TUNNEL_PROXY_BAD_ADDRESS'
  | 'ERR_TUNNEL_PROXY_BAD_OPTION'
  | 'ERR_TUNNEL_PROXY_BAD_TLV';

/** Creates a `ProtocolError` with one of this package's codes. */
export function proxyError(code: ProxyErrorCode, message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(code, message, { cause, stage: 'proxy' });
}
