import { IPPROTO_TCP, SOL_IP, SOL_IPV6, SOL_SOCKET } from './constants.js';
import { OsError, syscallError } from './errors.js';
import { libc } from './libc.js';

/** How an option's value is carried: an on/off int, a plain int, `struct linger`, `struct timeval`, or an interface name. */
export type SocketOptionKind = 'flag' | 'int' | 'linger' | 'timeval' | 'string';

/** `struct linger` (socket(7)): linger `linger` seconds on close when `onoff` is non-zero. */
export interface Linger {
  readonly onoff: number;
  readonly linger: number;
}

/** `struct timeval`: seconds and microseconds. */
export interface TimeValue {
  readonly sec: number;
  readonly usec: number;
}

/** A decoded option value; the shape follows the option's {@link SocketOptionKind}. */
export type SocketOptionValue = boolean | number | string | Linger | TimeValue;

/** One socket option stunnel 5.68 knows, with its Linux level and number. */
export interface SocketOptionInfo {
  readonly name: SocketOptionName;
  readonly level: number;
  readonly option: number;
  readonly kind: SocketOptionKind;
  /** Address family of a socket on which the option can be read (IP_* need IPv4, IPV6_* need IPv6). */
  readonly family: 'IPv4' | 'IPv6';
}

/** Names accepted by `socket = a|l|r:NAME=VALUE`, in the order `stunnel -sockets` prints them. */
export type SocketOptionName =
  | 'SO_DEBUG'
  | 'SO_DONTROUTE'
  | 'SO_KEEPALIVE'
  | 'SO_LINGER'
  | 'SO_OOBINLINE'
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'SO_RCVLOWAT'
  | 'SO_SNDLOWAT'
  | 'SO_RCVTIMEO'
  | 'SO_SNDTIMEO'
  | 'SO_REUSEADDR'
  | 'SO_BINDTODEVICE'
  | 'TCP_KEEPCNT'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'IP_TOS'
  | 'IP_TTL'
  | 'TCP_NODELAY'
  | 'IP_FREEBIND'
  | 'IPV6_V6ONLY';

// The list and its order are those printed by Debian's stunnel4 5.68 `-sockets` on Linux;
// SO_RCVTIMEO/SO_SNDTIMEO are the "_OLD" numbers that take the native struct timeval.
const table: readonly SocketOptionInfo[] = [
  { name: 'SO_DEBUG', level: SOL_SOCKET, option: 1, kind: 'flag', family: 'IPv4' },
  { name: 'SO_DONTROUTE', level: SOL_SOCKET, option: 5, kind: 'flag', family: 'IPv4' },
  { name: 'SO_KEEPALIVE', level: SOL_SOCKET, option: 9, kind: 'flag', family: 'IPv4' },
  { name: 'SO_LINGER', level: SOL_SOCKET, option: 13, kind: 'linger', family: 'IPv4' },
  { name: 'SO_OOBINLINE', level: SOL_SOCKET, option: 10, kind: 'flag', family: 'IPv4' },
  { name: 'SO_RCVBUF', level: SOL_SOCKET, option: 8, kind: 'int', family: 'IPv4' },
  { name: 'SO_SNDBUF', level: SOL_SOCKET, option: 7, kind: 'int', family: 'IPv4' },
  { name: 'SO_RCVLOWAT', level: SOL_SOCKET, option: 18, kind: 'int', family: 'IPv4' },
  { name: 'SO_SNDLOWAT', level: SOL_SOCKET, option: 19, kind: 'int', family: 'IPv4' },
  { name: 'SO_RCVTIMEO', level: SOL_SOCKET, option: 20, kind: 'timeval', family: 'IPv4' },
  { name: 'SO_SNDTIMEO', level: SOL_SOCKET, option: 21, kind: 'timeval', family: 'IPv4' },
  { name: 'SO_REUSEADDR', level: SOL_SOCKET, option: 2, kind: 'flag', family: 'IPv4' },
  { name: 'SO_BINDTODEVICE', level: SOL_SOCKET, option: 25, kind: 'string', family: 'IPv4' },
  { name: 'TCP_KEEPCNT', level: IPPROTO_TCP, option: 6, kind: 'int', family: 'IPv4' },
  { name: 'TCP_KEEPIDLE', level: IPPROTO_TCP, option: 4, kind: 'int', family: 'IPv4' },
  { name: 'TCP_KEEPINTVL', level: IPPROTO_TCP, option: 5, kind: 'int', family: 'IPv4' },
  { name: 'IP_TOS', level: SOL_IP, option: 1, kind: 'int', family: 'IPv4' },
  { name: 'IP_TTL', level: SOL_IP, option: 2, kind: 'int', family: 'IPv4' },
  { name: 'TCP_NODELAY', level: IPPROTO_TCP, option: 1, kind: 'flag', family: 'IPv4' },
  { name: 'IP_FREEBIND', level: SOL_IP, option: 15, kind: 'flag', family: 'IPv4' },
  { name: 'IPV6_V6ONLY', level: SOL_IPV6, option: 26, kind: 'flag', family: 'IPv6' },
];

const byName = new Map<string, SocketOptionInfo>(table.map((info) => [info.name, info]));

/** Every socket option `socket =` accepts, in stunnel's order. */
export function socketOptionTable(): readonly SocketOptionInfo[] {
  return table;
}

/** Looks an option up by name (case-sensitive, as stunnel); unknown names are `ERR_TUNNEL_OS_UNKNOWN_OPTION`. */
export function socketOption(name: string): SocketOptionInfo {
  const info = byName.get(name);
  if (info === undefined) {
    throw new OsError(
      'ERR_TUNNEL_OS_UNKNOWN_OPTION',
      `unknown socket option ${JSON.stringify(name)} (known: ${table.map((i) => i.name).join(', ')})`,
    );
  }
  return info;
}

function badValue(name: string, text: string, expected: string): OsError {
  return new OsError('ERR_TUNNEL_OS_BAD_OPTION_VALUE', `bad value ${JSON.stringify(text)} for ${name}: expected ${expected}`);
}

const integerPattern = /^-?\d{1,10}$/;

function parseInteger(name: string, text: string, expected: string): number {
  if (!integerPattern.test(text)) throw badValue(name, text, expected);
  const value = Number(text);
  if (value < -2147483648 || value > 2147483647) throw badValue(name, text, expected);
  return value;
}

/**
 * Parses the VALUE of `socket = a|l|r:NAME=VALUE` as stunnel does: `yes`/`no` for flags, a decimal
 * integer, `l_onoff:l_linger` for SO_LINGER, `tv_sec:tv_usec` for the timeouts, an interface name
 * (at most 15 bytes, IFNAMSIZ - 1) for SO_BINDTODEVICE.
 */
export function parseSocketOptionValue(name: string, text: string): SocketOptionValue {
  const info = socketOption(name);
  switch (info.kind) {
    case 'flag':
      if (text === 'yes') return true;
      if (text === 'no') return false;
      throw badValue(name, text, 'yes or no');
    case 'int':
      return parseInteger(name, text, 'an integer');
    case 'linger':
    case 'timeval': {
      const expected = info.kind === 'linger' ? 'l_onoff:l_linger' : 'tv_sec:tv_usec';
      const parts = text.split(':');
      if (parts.length !== 2) throw badValue(name, text, expected);
      const first = parseInteger(name, parts[0] as string, expected);
      const second = parseInteger(name, parts[1] as string, expected);
      return info.kind === 'linger' ? { onoff: first, linger: second } : { sec: first, usec: second };
    }
    case 'string':
      if (text.length === 0 || Buffer.byteLength(text) > 15 || text.includes('\0'))
        throw badValue(name, text, 'an interface name of 1 to 15 bytes');
      return text;
  }
}

/** Where `socket =` applies an option: the listening (accept), accepted client (local) or upstream (remote) socket. */
export type SocketOptionTarget = 'accept' | 'local' | 'remote';

/** One parsed `socket =` line. */
export interface SocketOptionSetting {
  readonly target: SocketOptionTarget;
  readonly name: SocketOptionName;
  readonly value: SocketOptionValue;
}

const targets: Record<string, SocketOptionTarget> = { a: 'accept', l: 'local', r: 'remote' };

/** Parses the text after `socket =`, e.g. `l:SO_LINGER=1:60` or `a:SO_BINDTODEVICE=lo`. */
export function parseSocketOptionSpec(text: string): SocketOptionSetting {
  const match = /^([alr]):([A-Z0-9_]+)=(.*)$/.exec(text.trim());
  if (match === null) {
    throw new OsError('ERR_TUNNEL_OS_BAD_OPTION_VALUE', `bad socket option ${JSON.stringify(text)}: expected a|l|r:OPTION=VALUE[:VALUE]`);
  }
  const [, target, name, value] = match as unknown as [string, string, string, string];
  const info = socketOption(name);
  return { target: targets[target] as SocketOptionTarget, name: info.name, value: parseSocketOptionValue(name, value) };
}

function encodeValue(info: SocketOptionInfo, value: SocketOptionValue, longSize: number): Buffer {
  const mismatch = () => badValue(info.name, JSON.stringify(value), `a value of kind ${info.kind}`);
  switch (info.kind) {
    case 'flag':
    case 'int': {
      const number = typeof value === 'boolean' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number) || number < -2147483648 || number > 2147483647) throw mismatch();
      const buffer = Buffer.alloc(4);
      writeInt(buffer, 0, 4, number);
      return buffer;
    }
    case 'linger': {
      if (typeof value !== 'object' || !('onoff' in value)) throw mismatch();
      const buffer = Buffer.alloc(8);
      writeInt(buffer, 0, 4, value.onoff);
      writeInt(buffer, 4, 4, value.linger);
      return buffer;
    }
    case 'timeval': {
      if (typeof value !== 'object' || !('sec' in value)) throw mismatch();
      const buffer = Buffer.alloc(longSize * 2);
      writeInt(buffer, 0, longSize, value.sec);
      writeInt(buffer, longSize, longSize, value.usec);
      return buffer;
    }
    case 'string':
      if (typeof value !== 'string') throw mismatch();
      return Buffer.from(`${value}\0`);
  }
}

const bigEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

function writeInt(buffer: Buffer, offset: number, size: number, value: number): void {
  if (size === 8) {
    if (bigEndian) buffer.writeBigInt64BE(BigInt(value), offset);
    else buffer.writeBigInt64LE(BigInt(value), offset);
  } else if (bigEndian) buffer.writeInt32BE(value, offset);
  else buffer.writeInt32LE(value, offset);
}

function readInt(buffer: Buffer, offset: number, size: number): number {
  if (size === 8) return Number(bigEndian ? buffer.readBigInt64BE(offset) : buffer.readBigInt64LE(offset));
  return bigEndian ? buffer.readInt32BE(offset) : buffer.readInt32LE(offset);
}

function checkFd(fd: number): void {
  if (!Number.isInteger(fd) || fd < 0) throw new OsError('ERR_TUNNEL_OS_BAD_FD', `not a file descriptor: ${fd}`);
}

/** Sets `name` on the socket `fd` (e.g. `socket._handle.fd`); errno failures become `ERR_TUNNEL_OS_E*`. */
export function setSocketOption(fd: number, name: string, value: SocketOptionValue): void {
  checkFd(fd);
  const info = socketOption(name);
  const c = libc(`setting ${name}`);
  const buffer = encodeValue(info, value, c.longSize);
  if (c.setsockopt(fd, info.level, info.option, buffer, buffer.length) !== 0) {
    throw syscallError('setsockopt', c.errno(), `setting ${name} on fd ${fd}`);
  }
}

/** Reads `name` from the socket `fd`, decoded by kind (flags come back as booleans). */
export function getSocketOption(fd: number, name: string): SocketOptionValue {
  checkFd(fd);
  const info = socketOption(name);
  const c = libc(`reading ${name}`);
  const buffer = Buffer.alloc(16);
  const length = [buffer.length];
  if (c.getsockopt(fd, info.level, info.option, buffer, length) !== 0) {
    throw syscallError('getsockopt', c.errno(), `reading ${name} from fd ${fd}`);
  }
  switch (info.kind) {
    case 'flag':
      return readInt(buffer, 0, 4) !== 0;
    case 'int':
      return readInt(buffer, 0, 4);
    case 'linger':
      return { onoff: readInt(buffer, 0, 4), linger: readInt(buffer, 4, 4) };
    case 'timeval':
      return { sec: readInt(buffer, 0, c.longSize), usec: readInt(buffer, c.longSize, c.longSize) };
    case 'string': {
      const text = buffer.subarray(0, length[0]).toString('latin1');
      const end = text.indexOf('\0');
      return end < 0 ? text : text.slice(0, end);
    }
  }
}

/** Formats a value the way `stunnel -sockets` prints it (`yes`/`no`, `1:60`, numbers, names). */
export function formatSocketOptionValue(value: SocketOptionValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  if ('onoff' in value) return `${value.onoff}:${value.linger}`;
  return `${value.sec}:${value.usec}`;
}
