import { isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';
import { AF_INET, AF_INET6 } from './constants.js';
import { OsError } from './errors.js';

/** An IP endpoint as Node names it. */
export interface SocketEndpoint {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

const littleEndian = endianness() === 'LE';

// sa_family is in host byte order, sin_port / sin6_port in network byte order (ip(7), ipv6(7)).
function writeFamily(buffer: Buffer, family: number): void {
  if (littleEndian) buffer.writeUInt16LE(family, 0);
  else buffer.writeUInt16BE(family, 0);
}

function readFamily(buffer: Buffer): number {
  return littleEndian ? buffer.readUInt16LE(0) : buffer.readUInt16BE(0);
}

/** Parses an IPv4 or IPv6 literal into its network-order bytes; anything else is `ERR_TUNNEL_OS_BAD_ADDRESS`. */
export function addressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new OsError('ERR_TUNNEL_OS_BAD_ADDRESS', `not an IP address literal: ${JSON.stringify(address)}`);
  let text = address.split('%')[0] as string;
  const bytes = Buffer.alloc(16);
  // A trailing dotted quad (::ffff:1.2.3.4) is the last two groups written in decimal.
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const quad = Buffer.from(last.split('.').map(Number));
    text = `${text.slice(0, lastColon + 1)}${quad.readUInt16BE(0).toString(16)}:${quad.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...new Array<string>(zeros).fill('0'), ...restGroups].map((g) => Number.parseInt(g, 16));
  for (const [index, group] of groups.entries()) bytes.writeUInt16BE(group, index * 2);
  return bytes;
}

/** Formats 4 or 16 network-order bytes as Node prints addresses (RFC 5952 zero compression for IPv6). */
export function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(bytes.readUInt16BE(index));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  // RFC 5952 section 4.2: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start += 1;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end += 1;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Encodes `sockaddr_in` (16 bytes) or `sockaddr_in6` (28 bytes) for bind()/connect(). */
export function encodeSockaddr(address: string, port: number): Buffer {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OsError('ERR_TUNNEL_OS_BAD_ADDRESS', `port out of range: ${port}`);
  const bytes = addressBytes(address);
  if (bytes.length === 4) {
    const buffer = Buffer.alloc(16);
    writeFamily(buffer, AF_INET);
    buffer.writeUInt16BE(port, 2);
    bytes.copy(buffer, 4);
    return buffer;
  }
  const buffer = Buffer.alloc(28);
  writeFamily(buffer, AF_INET6);
  buffer.writeUInt16BE(port, 2);
  bytes.copy(buffer, 8);
  return buffer;
}

/** Decodes a `sockaddr_in` / `sockaddr_in6` filled in by the kernel. */
export function decodeSockaddr(buffer: Buffer): SocketEndpoint {
  const family = buffer.length >= 2 ? readFamily(buffer) : -1;
  if (family === AF_INET && buffer.length >= 8) {
    return { address: formatAddress(buffer.subarray(4, 8)), port: buffer.readUInt16BE(2), family: 'IPv4' };
  }
  if (family === AF_INET6 && buffer.length >= 24) {
    return { address: formatAddress(buffer.subarray(8, 24)), port: buffer.readUInt16BE(2), family: 'IPv6' };
  }
  throw new OsError('ERR_TUNNEL_OS_BAD_ADDRESS', `unexpected socket address family ${family} (${buffer.length} bytes)`);
}
