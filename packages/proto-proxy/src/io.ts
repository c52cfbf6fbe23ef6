import type { Channel } from '@tunnel/protocol';
import { encodeProxyHeaderV1, encodeProxyHeaderV2, type ProxyAddresses } from './encode.js';
import { parseProxyHeader } from './parse.js';
import type { ProxyTlv } from './tlv.js';
import type { ProxyHeader } from './types.js';

/** Options of `sendProxyHeader`. */
export interface SendProxyHeaderOptions extends ProxyAddresses {
  /** 1 (text, stunnel's) or 2 (binary, extension). Default 1. */
  readonly version?: 1 | 2 | undefined;
  /** v2 only: TLVs appended to the header (e.g. from `encodeTlsTlvs`). */
  readonly tlvs?: readonly ProxyTlv[] | undefined;
}

/** Writes a PROXY header to `channel` (the upstream) before any payload; resolves once it is written. */
export async function sendProxyHeader(channel: Pick<Channel, 'write'>, options: SendProxyHeaderOptions): Promise<Buffer> {
  const header = options.version === 2 ? encodeProxyHeaderV2(options, { tlvs: options.tlvs }) : encodeProxyHeaderV1(options);
  await channel.write(header);
  return header;
}

/**
 * Reads one PROXY v1 or v2 header from `channel` (the side a load balancer connects from). Reads
 * never go past the header as far as this function is concerned; bytes the channel buffered beyond it
 * (the client's first payload) stay in the channel.
 */
export async function readProxyHeader(channel: Pick<Channel, 'readBytes'>): Promise<ProxyHeader> {
  let bytes: Buffer = Buffer.alloc(0);
  for (;;) {
    const result = parseProxyHeader(bytes);
    if (result.done) return result.value;
    const next = await channel.readBytes(result.needed);
    bytes = bytes.length === 0 ? next : Buffer.concat([bytes, next]);
  }
}
