import type { ProxyTlsTlvs } from './tlv.js';

/** An address and port carried by a PROXY header (for `unix`, `address` is the socket path and `port` 0). */
export interface ProxyEndpoint {
  readonly address: string;
  readonly port: number;
}

/** A PROXY protocol header, v1 or v2 (haproxy's proxy-protocol.txt). */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /** `proxy`: the addresses are the real client's; `local`: a health check from the proxy itself (v2 only). */
  readonly command: 'proxy' | 'local';
  /** `unknown` for v1 `PROXY UNKNOWN` and v2 AF_UNSPEC: the receiver must use the connection's own addresses. */
  readonly family: 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unix' | 'unix-dgram' | 'unknown';
  readonly source?: ProxyEndpoint | undefined;
  readonly destination?: ProxyEndpoint | undefined;
  /** v2 TLVs (type-length-value extensions), undecoded. */
  readonly tlvs?: readonly { readonly type: number; readonly value: Buffer }[] | undefined;
  /** v2: the TLS TLVs (ALPN, AUTHORITY, SSL) decoded, when the sender wrote any. */
  readonly tls?: ProxyTlsTlvs | undefined;
}
