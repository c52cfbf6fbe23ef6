/**
 * Pure SOCKS parsers (no I/O): SOCKS 4 and 4a (openssh.com/txt/socks4.protocol, socks4a.protocol),
 * SOCKS 5 (RFC 1928) and its username/password sub-negotiation (RFC 1929).
 *
 * Each parser takes the bytes received so far and either asks for more (`needed`: at least that many
 * more bytes; never more than the message can still contain, so a driver that reads exactly that many
 * never consumes bytes past the message) or returns the decoded message and its length.
 */
import { bytesToIpv6 } from './address.js';
import { socksError } from './errors.js';

/** The outcome of a parse step. */
export type ParseResult<T> =
  | { readonly done: false; readonly needed: number }
  | { readonly done: true; readonly value: T; readonly length: number };

/** The SOCKS commands (RFC 1928 §4; SOCKS 4 has only the first two). */
export type SocksCommand = 'connect' | 'bind' | 'udp-associate' | 'unknown';

/** A decoded CONNECT/BIND/UDP ASSOCIATE request. */
export interface SocksRequestFields {
  readonly version: 4 | 5;
  readonly command: SocksCommand;
  /** The command byte as sent, for logs and unknown commands. */
  readonly commandCode: number;
  /** `domain` for SOCKS 4a and SOCKS 5 ATYP 3. */
  readonly addressType: 'ipv4' | 'ipv6' | 'domain';
  readonly host: string;
  readonly port: number;
  /** SOCKS 4 USERID (ignored by the server, as the spec allows; kept for logs). */
  readonly userId?: string;
}

/** Longest SOCKS 4 USERID and 4a host name accepted (a DNS name has at most 255 octets, RFC 1035 §2.3.4). */
export const SOCKS4_MAX_FIELD = 255;

const more = (needed: number): ParseResult<never> => ({ done: false, needed });

function commandName(code: number, version: 4 | 5): SocksCommand {
  if (code === 1) return 'connect';
  if (code === 2) return 'bind';
  if (code === 3 && version === 5) return 'udp-associate';
  return 'unknown';
}

/** A host name from the wire: printable ASCII only, so it cannot smuggle separators into logs or resolvers. */
function checkHostName(name: string): string {
  if (name.length === 0) throw socksError('ERR_TUNNEL_SOCKS_MALFORMED', 'the SOCKS request names an empty host');
  if (!/^[\x21-\x7e]+$/.test(name))
    throw socksError('ERR_TUNNEL_SOCKS_MALFORMED', 'the SOCKS request host name holds control or non-ASCII bytes');
  return name;
}

/** Index of the NUL ending a field that starts at `start`, or asks for one more byte; bounded by SOCKS4_MAX_FIELD. */
function findNul(bytes: Uint8Array, start: number, what: string): number | ParseResult<never> {
  const end = bytes.indexOf(0, start);
  if (end !== -1) {
    if (end - start > SOCKS4_MAX_FIELD)
      throw socksError('ERR_TUNNEL_SOCKS_FIELD_TOO_LONG', `the SOCKS 4 ${what} is longer than ${SOCKS4_MAX_FIELD} bytes`);
    return end;
  }
  if (bytes.length - start > SOCKS4_MAX_FIELD)
    throw socksError('ERR_TUNNEL_SOCKS_FIELD_TOO_LONG', `the SOCKS 4 ${what} is longer than ${SOCKS4_MAX_FIELD} bytes`);
  return more(1);
}

function parseSocks4(bytes: Buffer): ParseResult<SocksRequestFields> {
  // VN CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL for 4a]
  if (bytes.length < 8) return more(8 - bytes.length);
  const userEnd = findNul(bytes, 8, 'USERID');
  if (typeof userEnd !== 'number') return userEnd;
  const commandCode = bytes[1] ?? 0;
  const port = bytes.readUInt16BE(2);
  const userId = bytes.toString('latin1', 8, userEnd);
  const base = { version: 4 as const, command: commandName(commandCode, 4), commandCode, port, userId };
  // SOCKS 4a: DSTIP 0.0.0.x with x != 0 means "the host name follows the USERID".
  if (bytes[4] === 0 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] !== 0) {
    const hostEnd = findNul(bytes, userEnd + 1, 'host name');
    if (typeof hostEnd !== 'number') return hostEnd;
    const host = checkHostName(bytes.toString('latin1', userEnd + 1, hostEnd));
    return { done: true, value: { ...base, addressType: 'domain', host }, length: hostEnd + 1 };
  }
  const host = `${bytes[4]}.${bytes[5]}.${bytes[6]}.${bytes[7]}`;
  return { done: true, value: { ...base, addressType: 'ipv4', host }, length: userEnd + 1 };
}

function parseSocks5(bytes: Buffer): ParseResult<SocksRequestFields> {
  // VER CMD RSV ATYP DST.ADDR DST.PORT(2)  (RFC 1928 §4)
  if (bytes.length < 5) return more(5 - bytes.length);
  if (bytes[2] !== 0) throw socksError('ERR_TUNNEL_SOCKS_MALFORMED', `the SOCKS 5 request has a non-zero reserved byte (${bytes[2]})`);
  const commandCode = bytes[1] ?? 0;
  const atyp = bytes[3];
  let addressLength: number;
  let start = 4;
  if (atyp === 1) addressLength = 4;
  else if (atyp === 4) addressLength = 16;
  else if (atyp === 3) {
    addressLength = bytes[4] ?? 0;
    start = 5;
    if (addressLength === 0) throw socksError('ERR_TUNNEL_SOCKS_MALFORMED', 'the SOCKS 5 request names an empty host');
  } else throw socksError('ERR_TUNNEL_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED', `the SOCKS 5 request has an unknown address type ${atyp}`);
  const total = start + addressLength + 2;
  if (bytes.length < total) return more(total - bytes.length);
  const address = bytes.subarray(start, start + addressLength);
  let host: string;
  let addressType: SocksRequestFields['addressType'];
  if (atyp === 1) {
    host = address.join('.');
    addressType = 'ipv4';
  } else if (atyp === 4) {
    host = bytesToIpv6(address);
    addressType = 'ipv6';
  } else {
    host = checkHostName(address.toString('latin1'));
    addressType = 'domain';
  }
  const port = bytes.readUInt16BE(start + addressLength);
  return { done: true, value: { version: 5, command: commandName(commandCode, 5), commandCode, addressType, host, port }, length: total };
}

/**
 * Parses a SOCKS request: SOCKS 4/4a (first byte 4) or the SOCKS 5 request that follows method
 * negotiation (first byte 5: VER CMD RSV ATYP ...). Throws `ERR_TUNNEL_SOCKS_BAD_VERSION` for other
 * versions, `ERR_TUNNEL_SOCKS_MALFORMED`, `ERR_TUNNEL_SOCKS_FIELD_TOO_LONG` or
 * `ERR_TUNNEL_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED` for bad requests.
 */
export function parseSocksRequest(bytes: Buffer): ParseResult<SocksRequestFields> {
  if (bytes.length === 0) return more(1);
  if (bytes[0] === 4) return parseSocks4(bytes);
  if (bytes[0] === 5) return parseSocks5(bytes);
  throw socksError('ERR_TUNNEL_SOCKS_BAD_VERSION', `the client speaks SOCKS version ${bytes[0]}, not 4 or 5`);
}

/** Parses the SOCKS 5 greeting `VER NMETHODS METHODS...` (RFC 1928 §3) into the offered method numbers. */
export function parseSocks5Greeting(bytes: Buffer): ParseResult<readonly number[]> {
  if (bytes.length < 2) return more(2 - bytes.length);
  if (bytes[0] !== 5) throw socksError('ERR_TUNNEL_SOCKS_BAD_VERSION', `the client greeting has version ${bytes[0]}, not 5`);
  const count = bytes[1] ?? 0;
  if (count === 0) throw socksError('ERR_TUNNEL_SOCKS_MALFORMED', 'the SOCKS 5 greeting offers no authentication method');
  if (bytes.length < 2 + count) return more(2 + count - bytes.length);
  return { done: true, value: [...bytes.subarray(2, 2 + count)], length: 2 + count };
}

/** Username and password of an RFC 1929 request. */
export interface SocksCredentials {
  readonly username: string;
  readonly password: string;
}

/** Parses the RFC 1929 username/password request `VER(1) ULEN UNAME PLEN PASSWD`. */
export function parseSocks5UserPass(bytes: Buffer): ParseResult<SocksCredentials> {
  if (bytes.length < 2) return more(2 - bytes.length);
  if (bytes[0] !== 1)
    throw socksError('ERR_TUNNEL_SOCKS_BAD_VERSION', `the username/password request has version ${bytes[0]}, not 1 (RFC 1929)`);
  const userLength = bytes[1] ?? 0;
  if (bytes.length < 3 + userLength) return more(3 + userLength - bytes.length);
  const passLength = bytes[2 + userLength] ?? 0;
  const total = 3 + userLength + passLength;
  if (bytes.length < total) return more(total - bytes.length);
  return {
    done: true,
    value: { username: bytes.toString('utf8', 2, 2 + userLength), password: bytes.toString('utf8', 3 + userLength, total) },
    length: total,
  };
}
