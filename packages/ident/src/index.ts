/**
 * @tunnel/ident — stunnel's `ident = USERNAME`: an RFC 1413 client that asks the connecting
 * host's identd who owns the connection, with a time limit and a bounded reply.
 */
export { IdentError, type IdentErrorCode } from './errors.js';
export { type IdentReply, parseIdentReply, formatIdentQuery, maxReplyLength } from './reply.js';
export {
  queryIdent,
  checkIdent,
  identEndpoints,
  type QueryIdentOptions,
  type CheckIdentOptions,
  type IdentEndpoint,
  type IdentResult,
} from './query.js';
