/** Pure PROXY header encoders (haproxy's proxy-protocol.txt §2.1 and §2.2). */
import { isIPv4, isIPv6 } from 'node:net';
import { proxyError } from './errors.js';
import { type ProxyTlv, serializeTlvs } from './tlv.js';
import type { ProxyEndpoint } from './types.js';

/** The 12-byte v2 signature (§2.2). */
export const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

/** What the sender knows about the client connection; absent endpoints mean "unknown" (e.g. a Unix-socket peer). */
export interface ProxyAddresses {
  /** The client's address (the accepted peer). */
  readonly source?: ProxyEndpoint | undefined;
  /** The address the client connected to (our listening address). */
  readonly destination?: ProxyEndpoint | undefined;
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Picks the family both endpoints can be written in: TCP4 when both are IPv4 (or IPv4-mapped), TCP6 otherwise. */
function normalize(addresses: ProxyAddresses): { family: 'tcp4' | 'tcp6'; source: ProxyEndpoint; destination: ProxyEndpoint } | undefined {
  const { source, destination } = addresses;
  if (source === undefined || destination === undefined) return undefined;
  const v4 = (address: string) => (isIPv4(address) ? address : MAPPED.exec(address)?.[1]);
  const s4 = v4(source.address);
  const d4 = v4(destination.address);
  if (s4 !== undefined && d4 !== undefined)
    return { family: 'tcp4', source: { ...source, address: s4 }, destination: { ...destination, address: d4 } };
  const v6 = (address: string) => {
    if (isIPv6(address)) return address;
    if (isIPv4(address)) return `::ffff:${address}`;
    throw proxyError('ERR_TUNNEL_PROXY_BAD_ADDRESS', `${JSON.stringify(address)} is not an IP address`);
  };
  return {
    family: 'tcp6',
    source: { ...source, address: v6(source.address) },
    destination: { ...destination, address: v6(destination.address) },
  };
}

/**
 * The v1 (text) header: `PROXY TCP4|TCP6 src dst sport dport\r\n`, or `PROXY UNKNOWN\r\n` when an
 * endpoint is unknown (a Unix-socket peer, a Duplex without addresses).
 */
export function encodeProxyHeaderV1(addresses: ProxyAddresses): Buffer {
  const known = normalize(addresses);
  if (known === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const { family, source, destination } = known;
  return Buffer.from(
    `PROXY ${family.toUpperCase()} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`,
    'latin1',
  );
}

function ipBytes(address: string, family: 'tcp4' | 'tcp6'): Buffer {
  if (family === 'tcp4') return Buffer.from(address.split('.').map(Number));
  // Expand via the WHATWG URL parser's canonical form, then the 8 groups.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  for (const [index, group] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2);
  return bytes;
}

/**
 * The v2 (binary) header: command PROXY with TCP over IPv4/IPv6, or PROXY with AF_UNSPEC when an
 * endpoint is unknown; `local: true` sends the LOCAL command (the proxy's own health check). `tlvs`
 * are appended after the address block (§2.2: the length covers them too).
 */
export function encodeProxyHeaderV2(addresses: ProxyAddresses, options: { local?: boolean; tlvs?: readonly ProxyTlv[] } = {}): Buffer {
  const known = options.local === true ? undefined : normalize(addresses);
  const head = Buffer.alloc(16);
  V2_SIGNATURE.copy(head, 0);
  head[12] = options.local === true ? 0x20 : 0x21;
  const extensions = serializeTlvs(options.tlvs ?? []);
  let body: Buffer = Buffer.alloc(0); // family/protocol 0x00 (UNSPEC): no address block
  if (known !== undefined) {
    const { family, source, destination } = known;
    head[13] = family === 'tcp4' ? 0x11 : 0x21;
    body = Buffer.concat([ipBytes(source.address, family), ipBytes(destination.address, family), Buffer.alloc(4)]);
    body.writeUInt16BE(source.port, body.length - 4);
    body.writeUInt16BE(destination.port, body.length - 2);
  }
  if (body.length + extensions.length > 0xffff)
    throw proxyError('ERR_TUNNEL_PROXY_HEADER_TOO_LONG', 'the PROXY v2 header would be over 65535 bytes');
  head.writeUInt16BE(body.length + extensions.length, 14);
  return Buffer.concat([head, body, extensions]);
}
