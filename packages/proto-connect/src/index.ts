export { protocol, connectSettings, parseProtocolHost, type ConnectSettings } from './protocol.js';
export { httpConnect, authority, type HttpConnectOptions, type ConnectAuth } from './connect.js';
export {
  readResponseHead,
  parseStatusLine,
  parseHeaderLine,
  headerValue,
  MAX_LINE,
  MAX_HEADERS,
  type ConnectResponse,
} from './response.js';
export {
  ntlmNegotiateMessage,
  parseNtlmChallenge,
  ntlmAuthenticateMessage,
  ntlmV2Responses,
  ntlmV2Hash,
  ntHash,
  type NtlmChallenge,
  type NtlmAuthenticateOptions,
} from './ntlm.js';
export { md4 } from './md4.js';
export { ConnectError, type ConnectErrorCode } from './errors.js';
