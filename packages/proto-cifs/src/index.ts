export { protocol, validateOptions } from './protocol.js';
export { requestTls, type RequestTlsOptions } from './client.js';
export { acceptTlsRequest, type AcceptTlsRequestOptions } from './server.js';
export {
  SESSION_REQUEST,
  NEGATIVE_SESSION_RESPONSE,
  ERROR_USE_SSL,
  ERROR_NOT_LISTENING_FOR_CALLING_NAME,
  EMPTY_SESSION_REQUEST,
  RESPONSE_USE_SSL,
  RESPONSE_REFUSED,
  MAX_REQUEST_BODY,
  parseHeader,
  type PacketHeader,
  judgeAnswerHeader,
  judgeErrorCode,
  type SessionAnswer,
} from './messages.js';
export { CifsError, type CifsErrorCode } from './errors.js';
