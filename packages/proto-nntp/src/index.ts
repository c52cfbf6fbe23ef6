export { protocol, validateOptions } from './protocol.js';
export { startTlsClient, type StartTlsClientOptions, type StartTlsClientResult } from './client.js';
export {
  parseReply,
  type NntpReply,
  isServiceAvailable,
  printable,
  MAX_REPLY_LENGTH,
  GREETING_POSTING_ALLOWED,
  GREETING_NO_POSTING,
  CONTINUE_WITH_TLS,
} from './reply.js';
export { NntpError, type NntpErrorCode } from './errors.js';
