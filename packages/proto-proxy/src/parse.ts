/**
 * The pure PROXY header parser (no I/O) for v1 and v2 (haproxy's proxy-protocol.txt). Like the other
 * parsers of tunnel it returns `{ done: false, needed }` (read at least that many more bytes, never
 * past the header) or `{ done: true, value, length }`.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { V2_SIGNATURE } from './encode.js';
import { proxyError } from './errors.js';
import { decodeTlsTlvs } from './tlv.js';
import type { ProxyEndpoint, ProxyHeader } from './types.js';

export type ParseResult<T> =
  | { readonly done: false; readonly needed: number }
  | { readonly done: true; readonly value: T; readonly length: number };

/** §2.1: a v1 header is at most 107 bytes, CRLF included. */
export const V1_MAX_LENGTH = 107;
/** Largest v2 address block + TLVs accepted; the format allows 65535, real senders use far less. */
export const V2_MAX_BODY = 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const PORT = /^(0|[1-9]\d{0,4})$/;

function bad(message: string): never {
  throw proxyError('ERR_TUNNEL_PROXY_BAD_HEADER', message);
}

function port(text: string): number {
  const value = PORT.test(text) ? Number(text) : Number.NaN;
  if (!(value <= 65535)) bad(`the PROXY header has an invalid port ${JSON.stringify(text)}`);
  return value;
}

function parseV1(bytes: Buffer): ParseResult<ProxyHeader> {
  const end = bytes.indexOf('\r\n', 0, 'latin1');
  if (end === -1) {
    if (bytes.length >= V1_MAX_LENGTH)
      throw proxyError('ERR_TUNNEL_PROXY_HEADER_TOO_LONG', `the PROXY v1 header has no CRLF within ${V1_MAX_LENGTH} bytes`);
    // A lone LF or any byte outside printable ASCII can never become a valid header: fail early.
    if (bytes.includes(0x0a)) bad('the PROXY v1 header ends with LF instead of CRLF');
    return { done: false, needed: 1 };
  }
  if (end + 2 > V1_MAX_LENGTH)
    throw proxyError('ERR_TUNNEL_PROXY_HEADER_TOO_LONG', `the PROXY v1 header is longer than ${V1_MAX_LENGTH} bytes`);
  const line = bytes.toString('latin1', 0, end);
  if (!/^[\x20-\x7e]*$/.test(line)) bad('the PROXY v1 header holds control or non-ASCII bytes');
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') return { done: true, value: { version: 1, command: 'proxy', family: 'unknown' }, length: end + 2 };
  if (parts.length !== 6) bad(`the PROXY v1 header has ${parts.length} fields, not 6: ${JSON.stringify(line)}`);
  const [, proto, src = '', dst = '', sport = '', dport = ''] = parts;
  const valid = proto === 'TCP4' ? isIPv4 : proto === 'TCP6' ? isIPv6 : undefined;
  if (valid === undefined) bad(`the PROXY v1 header has an unknown protocol ${JSON.stringify(proto)}`);
  if (!valid(src) || !valid(dst))
    bad(`the PROXY v1 header addresses ${JSON.stringify(src)} ${JSON.stringify(dst)} are not ${proto} addresses`);
  return {
    done: true,
    value: {
      version: 1,
      command: 'proxy',
      family: proto === 'TCP4' ? 'tcp4' : 'tcp6',
      source: { address: src, port: port(sport) },
      destination: { address: dst, port: port(dport) },
    },
    length: end + 2,
  };
}

function ipv6Text(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function unixPath(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.toString('utf8', 0, nul === -1 ? bytes.length : nul);
}

function parseV2(bytes: Buffer): ParseResult<ProxyHeader> {
  if (bytes.length < 16) return { done: false, needed: 16 - bytes.length };
  const versionCommand = bytes[12] ?? 0;
  if (versionCommand >> 4 !== 2) bad(`the PROXY v2 header has version ${versionCommand >> 4}, not 2`);
  const commandCode = versionCommand & 0x0f;
  if (commandCode > 1) bad(`the PROXY v2 header has an unknown command ${commandCode}`);
  const length = bytes.readUInt16BE(14);
  if (length > V2_MAX_BODY)
    throw proxyError('ERR_TUNNEL_PROXY_HEADER_TOO_LONG', `the PROXY v2 header announces ${length} bytes, more than ${V2_MAX_BODY}`);
  if (bytes.length < 16 + length) return { done: false, needed: 16 + length - bytes.length };
  const body = bytes.subarray(16, 16 + length);
  const command = commandCode === 0 ? 'local' : 'proxy';
  const familyByte = bytes[13] ?? 0;
  const addressFamily = familyByte >> 4;
  const transport = familyByte & 0x0f;
  if (addressFamily > 3 || transport > 2) bad(`the PROXY v2 header has an unknown family/protocol byte 0x${familyByte.toString(16)}`);
  const sizes = [0, 12, 36, 216] as const;
  const size = sizes[addressFamily] ?? 0;
  if (body.length < size) bad(`the PROXY v2 address block is ${body.length} bytes, family ${addressFamily} needs ${size}`);
  const tlvs: { type: number; value: Buffer }[] = [];
  for (let offset = size; offset < body.length; ) {
    if (offset + 3 > body.length) bad('the PROXY v2 header ends inside a TLV');
    const tlvLength = body.readUInt16BE(offset + 1);
    if (offset + 3 + tlvLength > body.length) bad('a PROXY v2 TLV runs past the header');
    tlvs.push({ type: body[offset] ?? 0, value: Buffer.from(body.subarray(offset + 3, offset + 3 + tlvLength)) });
    offset += 3 + tlvLength;
  }
  const total = 16 + length;
  const tls = decodeTlsTlvs(tlvs);
  // LOCAL and AF_UNSPEC/UNSPEC carry no usable addresses (§2.2): the receiver keeps the real ones.
  if (command === 'local' || addressFamily === 0 || transport === 0)
    return { done: true, value: { version: 2, command, family: 'unknown', tlvs, ...(tls === undefined ? {} : { tls }) }, length: total };
  let source: ProxyEndpoint;
  let destination: ProxyEndpoint;
  let family: ProxyHeader['family'];
  if (addressFamily === 1) {
    source = { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) };
    destination = { address: [...body.subarray(4, 8)].join('.'), port: body.readUInt16BE(10) };
    family = transport === 1 ? 'tcp4' : 'udp4';
  } else if (addressFamily === 2) {
    source = { address: ipv6Text(body.subarray(0, 16)), port: body.readUInt16BE(32) };
    destination = { address: ipv6Text(body.subarray(16, 32)), port: body.readUInt16BE(34) };
    family = transport === 1 ? 'tcp6' : 'udp6';
  } else {
    source = { address: unixPath(body.subarray(0, 108)), port: 0 };
    destination = { address: unixPath(body.subarray(108, 216)), port: 0 };
    family = transport === 1 ? 'unix' : 'unix-dgram';
  }
  return {
    done: true,
    value: { version: 2, command, family, source, destination, tlvs, ...(tls === undefined ? {} : { tls }) },
    length: total,
  };
}

/**
 * Parses a PROXY v1 or v2 header at the start of `bytes`. Throws `ERR_TUNNEL_PROXY_BAD_HEADER` when
 * the bytes are not a PROXY header (including ordinary traffic from a client that sent none) and
 * `ERR_TUNNEL_PROXY_HEADER_TOO_LONG` past the bounds (v1 107 bytes, v2 16 + 4096).
 */
export function parseProxyHeader(bytes: Buffer): ParseResult<ProxyHeader> {
  // Decide the version as soon as the first bytes disagree with one of the two signatures.
  const v1 = bytes.subarray(0, V1_PREFIX.length).equals(V1_PREFIX.subarray(0, Math.min(bytes.length, V1_PREFIX.length)));
  const v2 = bytes.subarray(0, 12).equals(V2_SIGNATURE.subarray(0, Math.min(bytes.length, 12)));
  if (bytes.length === 0) return { done: false, needed: 1 };
  if (v1) return bytes.length < V1_PREFIX.length ? { done: false, needed: 1 } : parseV1(bytes);
  if (v2) return bytes.length < 12 ? { done: false, needed: 12 - bytes.length } : parseV2(bytes);
  return bad('the connection does not start with a PROXY protocol header');
}
