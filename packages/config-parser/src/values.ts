import type { Address, DebugLevel, SocketOption, SslVersion, TransparentMode, VerifyLevel } from './types.js';

/** Thrown by a value parser; the config parser turns it into an `ERR_TUNNEL_CONFIG_INVALID_VALUE` issue. */
export class InvalidValue extends Error {}

/** Quote a piece of the input for a message, cut to 80 characters so a hostile line is never echoed whole. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/** Context a value parser may need: the table of TCP service names for ports. */
export interface ValueContext {
  servicePorts: ReadonlyMap<string, number>;
}

/** `yes | no`, case-insensitive as stunnel compares it. */
export function parseYesNo(value: string): boolean {
  const lower = value.toLowerCase();
  if (lower === 'yes') return true;
  if (lower === 'no') return false;
  throw new InvalidValue("the argument needs to be either 'yes' or 'no'");
}

/**
 * A non-negative decimal integer within [min, max]. stunnel reads numbers with strtol (so it also takes a leading '+' and,
 * for timeouts, negative values); negative numbers make no sense for any option and are refused here.
 */
export function parseInteger(value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\+?\d{1,16}$/.test(value)) throw new InvalidValue(`expected a whole number, got ${quote(value)}`);
  const number = Number(value);
  if (number < min || number > max) throw new InvalidValue(`expected a number from ${min} to ${max}, got ${number}`);
  return number;
}

/** One of a fixed set of words, compared case-insensitively; returns the canonical spelling. */
export function parseChoice<T extends string>(value: string, choices: readonly T[]): T {
  const lower = value.toLowerCase();
  const found = choices.find((choice) => choice.toLowerCase() === lower);
  if (found === undefined) throw new InvalidValue(`expected one of ${choices.join(', ')}, got ${quote(value)}`);
  return found;
}

/** `verify = LEVEL`: 0 to 4 (spec "verify"). */
export function parseVerify(value: string): VerifyLevel {
  if (!/^[0-4]$/.test(value)) throw new InvalidValue(`bad verify level ${quote(value)} (expected 0, 1, 2, 3 or 4)`);
  return Number(value) as VerifyLevel;
}

const sslVersions: readonly SslVersion[] = ['all', 'SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** `sslVersion`, `sslVersionMin`, `sslVersionMax` (case-insensitive, as 5.68 reads them). */
export function parseSslVersion(value: string): SslVersion {
  return parseChoice(value, sslVersions);
}

/** `transparent`: the four modes plus the legacy yes (= source) and no (= none) the spec keeps for compatibility. */
export function parseTransparent(value: string): TransparentMode {
  const lower = value.toLowerCase();
  if (lower === 'yes') return 'source';
  if (lower === 'no') return 'none';
  return parseChoice(value, ['none', 'source', 'destination', 'both'] as const);
}

/** `foreground = yes | quiet | no`. */
export function parseForeground(value: string): boolean | 'quiet' {
  if (value.toLowerCase() === 'quiet') return 'quiet';
  try {
    return parseYesNo(value);
  } catch {
    throw new InvalidValue(`expected yes, quiet or no, got ${quote(value)}`);
  }
}

const levelNames = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const facilityNames = new Set([
  'auth',
  'authpriv',
  'cron',
  'daemon',
  'ftp',
  'kern',
  'lpr',
  'mail',
  'news',
  'syslog',
  'user',
  'uucp',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
]);

/**
 * `debug = [FACILITY.]LEVEL` (spec "debug"): case is ignored for both parts. A facility is only meaningful in the global
 * section (stunnel 5.68 refuses one in a service section).
 */
export function parseDebug(value: string, allowFacility: boolean): DebugLevel {
  let facility = 'daemon';
  let level = value.toLowerCase();
  const dot = level.indexOf('.');
  if (dot !== -1) {
    if (!allowFacility) throw new InvalidValue('a syslog facility can only be set in the global section');
    facility = level.slice(0, dot);
    level = level.slice(dot + 1);
    if (!facilityNames.has(facility)) throw new InvalidValue(`unknown syslog facility ${quote(facility)}`);
  }
  if (/^[0-7]$/.test(level)) return { facility, level: Number(level) };
  const index = levelNames.indexOf(level);
  if (index === -1) throw new InvalidValue(`unknown debug level ${quote(level)} (expected ${levelNames.join(', ')} or 0-7)`);
  return { facility, level: index };
}

/** Resolve a port written as a number (0–65535) or as a TCP service name (`imaps`), the way getaddrinfo would. */
export function parsePort(value: string, context: ValueContext): number {
  if (/^\d+$/.test(value)) {
    const port = Number(value);
    if (port > 65535) throw new InvalidValue(`port ${value} is out of range (0-65535)`);
    return port;
  }
  const port = context.servicePorts.get(value);
  if (port === undefined) throw new InvalidValue(`unknown TCP service ${quote(value)}`);
  return port;
}

/**
 * An address (spec "An address parameter of an option may be either: a port number; a colon-separated pair of IP
 * address (either IPv4, IPv6, or domain name) and port number; a Unix socket path"). Like stunnel 5 the host and port
 * are split at the LAST colon, so IPv6 literals are written bare (`:::443`, `::1:443`); brackets are not part of it.
 */
export function parseAddress(value: string, context: ValueContext): Address {
  if (value.includes('/')) return { kind: 'unix', path: value };
  const colon = value.lastIndexOf(':');
  const host = colon === -1 ? undefined : value.slice(0, colon);
  const port = parsePort(colon === -1 ? value : value.slice(colon + 1), context);
  if (host !== undefined) {
    if (host === '') throw new InvalidValue('empty host before the port (write just the port for all interfaces)');
    if (host.includes('[') || host.includes(']')) {
      throw new InvalidValue('brackets are not allowed: stunnel splits HOST:PORT at the last colon (write ::1:443)');
    }
    if (/\s/.test(host)) throw new InvalidValue(`invalid host ${quote(host)}`);
  }
  return { kind: 'tcp', host, port };
}

type SocketValueKind = 'flag' | 'int' | 'pair' | 'string';

/** The socket options stunnel 5.68 knows on Linux (`stunnel -sockets`) and the value each takes. */
export const socketOptionKinds: ReadonlyMap<string, SocketValueKind> = new Map<string, SocketValueKind>([
  ['SO_DEBUG', 'flag'],
  ['SO_DONTROUTE', 'flag'],
  ['SO_KEEPALIVE', 'flag'],
  ['SO_LINGER', 'pair'],
  ['SO_OOBINLINE', 'flag'],
  ['SO_RCVBUF', 'int'],
  ['SO_SNDBUF', 'int'],
  ['SO_RCVLOWAT', 'int'],
  ['SO_SNDLOWAT', 'int'],
  ['SO_RCVTIMEO', 'pair'],
  ['SO_SNDTIMEO', 'pair'],
  ['SO_REUSEADDR', 'flag'],
  ['SO_BINDTODEVICE', 'string'],
  ['TCP_KEEPCNT', 'int'],
  ['TCP_KEEPIDLE', 'int'],
  ['TCP_KEEPINTVL', 'int'],
  ['IP_TOS', 'int'],
  ['IP_TTL', 'int'],
  ['TCP_NODELAY', 'flag'],
  ['IP_FREEBIND', 'flag'],
  ['IPV6_V6ONLY', 'flag'],
]);

/**
 * `socket = a|l|r:OPTION=VALUE[:VALUE]` (spec "socket"). SO_LINGER takes `l_onof[:l_linger]`, the timeouts take
 * `tv_sec[:tv_usec]`; flags take yes/no or 1/0; SO_BINDTODEVICE takes an interface name.
 */
export function parseSocketOption(value: string): SocketOption {
  const match = /^([alr]):([A-Z0-9_]+)=(.*)$/.exec(value);
  if (match === null) throw new InvalidValue('expected a|l|r:OPTION=VALUE[:VALUE]');
  const [, side, option, raw] = match as unknown as [string, 'a' | 'l' | 'r', string, string];
  const kind = socketOptionKinds.get(option);
  if (kind === undefined) throw new InvalidValue(`unknown socket option ${quote(option)}`);
  const number = (text: string): string => {
    if (!/^\d{1,10}$/.test(text)) throw new InvalidValue(`${option} needs a number, got ${quote(text)}`);
    return text;
  };
  switch (kind) {
    case 'flag':
      // stunnel 5.68 takes 1 and 0 as well as yes and no (the manual's own example is `l:TCP_NODELAY=1`).
      if (raw === '1' || raw === '0') return { side, option, value: raw === '1' ? 'yes' : 'no' };
      parseYesNo(raw);
      return { side, option, value: raw.toLowerCase() };
    case 'int':
      return { side, option, value: number(raw) };
    case 'string':
      // An empty name unbinds the socket from any device.
      if (raw.length > 15 || /\s/.test(raw)) throw new InvalidValue(`${option} needs an interface name`);
      return { side, option, value: raw };
    case 'pair': {
      const parts = raw.split(':');
      if (parts.length === 1) return { side, option, value: number(raw) };
      if (parts.length !== 2) throw new InvalidValue(`${option} takes at most two values`);
      return { side, option, value: [number(parts[0] as string), number(parts[1] as string)] };
    }
  }
}

/**
 * `ticketKeySecret`/`ticketMacSecret` (5.68): 16 or 32 bytes in hex, optionally with colons between the bytes.
 * Returned lower-case without colons.
 */
export function parseHexSecret(value: string): string {
  const hex = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2})*$/.test(value) ? value.replaceAll(':', '') : value;
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) throw new InvalidValue('expected a hexadecimal key');
  if (hex.length !== 32 && hex.length !== 64) throw new InvalidValue(`the key has ${hex.length / 2} bytes instead of 16 or 32`);
  return hex.toLowerCase();
}

/** OpenSSL option names stunnel 5.68 accepts with OpenSSL 3 (`stunnel -options`), without the SSL_OP_ prefix. */
export const opensslOptionNames: readonly string[] = [
  'ALL',
  'ALLOW_CLIENT_RENEGOTIATION',
  'ALLOW_NO_DHE_KEX',
  'ALLOW_UNSAFE_LEGACY_RENEGOTIATION',
  'CIPHER_SERVER_PREFERENCE',
  'CISCO_ANYCONNECT',
  'CLEANSE_PLAINTEXT',
  'COOKIE_EXCHANGE',
  'CRYPTOPRO_TLSEXT_BUG',
  'DISABLE_TLSEXT_CA_NAMES',
  'DONT_INSERT_EMPTY_FRAGMENTS',
  'ENABLE_KTLS',
  'ENABLE_MIDDLEBOX_COMPAT',
  'EPHEMERAL_RSA',
  'IGNORE_UNEXPECTED_EOF',
  'LEGACY_SERVER_CONNECT',
  'MICROSOFT_BIG_SSLV3_BUFFER',
  'MICROSOFT_SESS_ID_BUG',
  'MSIE_SSLV2_RSA_PADDING',
  'NETSCAPE_CA_DN_BUG',
  'NETSCAPE_CHALLENGE_BUG',
  'NETSCAPE_DEMO_CIPHER_CHANGE_BUG',
  'NETSCAPE_REUSE_CIPHER_CHANGE_BUG',
  'NO_ANTI_REPLAY',
  'NO_COMPRESSION',
  'NO_DTLS_MASK',
  'NO_DTLSv1',
  'NO_DTLSv1_2',
  'NO_ENCRYPT_THEN_MAC',
  'NO_EXTENDED_MASTER_SECRET',
  'NO_QUERY_MTU',
  'NO_RENEGOTIATION',
  'NO_SESSION_RESUMPTION_ON_RENEGOTIATION',
  'NO_SSL_MASK',
  'NO_SSLv2',
  'NO_SSLv3',
  'NO_TICKET',
  'NO_TLSv1',
  'NO_TLSv1_1',
  'NO_TLSv1_2',
  'NO_TLSv1_3',
  'PKCS1_CHECK_1',
  'PKCS1_CHECK_2',
  'PRIORITIZE_CHACHA',
  'SAFARI_ECDHE_ECDSA_BUG',
  'SINGLE_DH_USE',
  'SINGLE_ECDH_USE',
  'SSLEAY_080_CLIENT_DH_BUG',
  'SSLREF2_REUSE_CERT_TYPE_BUG',
  'TLS_BLOCK_PADDING_BUG',
  'TLS_D5_BUG',
  'TLSEXT_PADDING',
  'TLS_ROLLBACK_BUG',
];

/** `options = [-]NAME` (spec "options"): an OpenSSL option name, case-insensitive; a leading '-' clears it. */
export function parseOpensslOption(value: string): string {
  const negate = value.startsWith('-');
  const name = parseChoiceQuiet(negate ? value.slice(1) : value, opensslOptionNames);
  if (name === undefined) throw new InvalidValue(`unknown TLS option ${quote(value)}`);
  return negate ? `-${name}` : name;
}

/** The OCSP flags of spec "OCSPflag". */
export const ocspFlagNames: readonly string[] = [
  'NOCERTS',
  'NOINTERN',
  'NOSIGS',
  'NOCHAIN',
  'NOVERIFY',
  'NOEXPLICIT',
  'NOCASIGN',
  'NODELEGATED',
  'NOCHECKS',
  'TRUSTOTHER',
  'RESPID_KEY',
  'NOTIME',
];

/** `OCSPflag = FLAG`, case-insensitive, returned upper-case. */
export function parseOcspFlag(value: string): string {
  const name = parseChoiceQuiet(value, ocspFlagNames);
  if (name === undefined) throw new InvalidValue(`unknown OCSP flag ${quote(value)}`);
  return name;
}

function parseChoiceQuiet(value: string, choices: readonly string[]): string | undefined {
  const upper = value.toUpperCase();
  return choices.find((choice) => choice.toUpperCase() === upper);
}

/**
 * `protocol = PROTO`. The set of protocols is open (third-party plugins), so only the syntax is checked here: a plain
 * name (`smtp`, `my-proto`; lower-cased as stunnel compares case-insensitively), an npm package name
 * (`@scope/tunnel-proto-x`) or a path (`./plugins/x.js`). The CLI resolves it and checks the mode.
 */
export function parseProtocolName(value: string): string {
  if (value.length > 214) throw new InvalidValue('protocol name is too long');
  if (/^[A-Za-z0-9_-]+$/.test(value)) return value.toLowerCase();
  if (/^@[a-z0-9._-]+\/[a-z0-9._-]+$/.test(value)) return value;
  if (/^(\.{0,2}\/)[^\s]+$/.test(value)) return value;
  throw new InvalidValue(`invalid protocol name ${quote(value)} (expected a name like smtp, an npm package or a path)`);
}

/** `execArgs = $0 $1 ...`: split on any amount of whitespace; quoting is not supported (spec BUGS). */
export function parseExecArgs(value: string): string[] {
  return value.split(/\s+/).filter((part) => part !== '');
}

/** `retry = yes | no | DELAY`: yes/no (5.68), or the restart delay in milliseconds (newer stunnel), at most one hour. */
export function parseRetry(value: string): boolean | number {
  if (/^\+?\d+$/.test(value)) return parseInteger(value, 0, 3_600_000);
  return parseYesNo(value);
}

/** `setEnv = NAME=VALUE`: a portable variable name (letters, digits, underscore; not starting with a digit), any value up to 4096 bytes. */
export function parseSetEnv(value: string): { name: string; value: string } {
  const at = value.indexOf('=');
  const name = at < 0 ? value : value.slice(0, at);
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,255}$/.test(name))
    throw new InvalidValue(`expected NAME=VALUE with a variable name of letters, digits and _, not ${quote(value)}`);
  if (at < 0) throw new InvalidValue(`expected NAME=VALUE, not ${quote(value)}`);
  const text = value.slice(at + 1);
  if (Buffer.byteLength(text) > 4096 || text.includes('\0')) throw new InvalidValue('the value must be at most 4096 bytes without NUL');
  return { name, value: text };
}

/** `engineDefault = TASK_LIST`: a comma-separated list of tasks. */
export function parseTaskList(value: string): string[] {
  const tasks = value.split(',').map((task) => task.trim());
  if (tasks.some((task) => !/^[A-Za-z0-9_]+$/.test(task))) throw new InvalidValue(`invalid task list ${quote(value)}`);
  return tasks.map((task) => task.toUpperCase());
}

/** `connectionRate = N/SECONDS` (tunnel extension): a token bucket of N connections refilled over SECONDS. */
export function parseRate(value: string): { count: number; seconds: number } {
  const match = /^(\d{1,9})\s*\/\s*(\d{1,9})$/.exec(value);
  if (match === null) throw new InvalidValue(`expected N/SECONDS (e.g. 10/1), got ${quote(value)}`);
  const count = Number(match[1]);
  const seconds = Number(match[2]);
  if (count < 1 || seconds < 1) throw new InvalidValue(`N and SECONDS must be at least 1, got ${quote(value)}`);
  return { count, seconds };
}

/** `certReload = yes | no | SECONDS` (tunnel extension): the check interval in seconds, `yes` = 5, `no` = off (undefined). */
export function parseCertReload(value: string): number | undefined {
  if (/^\d+$/.test(value)) return parseInteger(value, 1, 86_400);
  return parseYesNo(value) ? 5 : undefined;
}
