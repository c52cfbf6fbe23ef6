export { protocol, socksSettings, type SocksSettings } from './protocol.js';
export { acceptSocksRequest, type AcceptSocksOptions, type SocksRequest } from './accept.js';
export {
  parseSocksRequest,
  parseSocks5Greeting,
  parseSocks5UserPass,
  SOCKS4_MAX_FIELD,
  type ParseResult,
  type SocksCommand,
  type SocksRequestFields,
  type SocksCredentials,
} from './parse.js';
export {
  encodeSocks4Reply,
  encodeSocks5Reply,
  encodeSocks5Method,
  encodeSocks5AuthReply,
  type SocksStatus,
  type BoundAddress,
} from './reply.js';
export { resolveSocksTarget, statusForConnectError, type ResolveTargetOptions, type Lookup } from './target.js';
export { isLocalOnlyAddress, ipv6ToBytes, bytesToIpv6 } from './address.js';
export { socksError, type SocksErrorCode } from './errors.js';
