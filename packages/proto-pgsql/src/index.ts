export { protocol, validateOptions } from './protocol.js';
export { requestTls, type RequestTlsOptions } from './client.js';
export { acceptTlsRequest, type AcceptTlsRequestOptions, type AcceptTlsRequestResult } from './server.js';
export {
  SSL_REQUEST,
  GSSENC_REQUEST,
  SSL_ACCEPTED,
  SSL_REFUSED,
  classifyStartupPacket,
  type StartupPacketKind,
  parseSslAnswer,
  type SslAnswer,
  buildFatalError,
} from './messages.js';
export { PgsqlError, type PgsqlErrorCode } from './errors.js';
