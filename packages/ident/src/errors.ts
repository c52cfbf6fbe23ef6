/** Codes of {@link IdentError}. */
export type IdentErrorCode =
  | 'ERR_TUNNEL_IDENT_CONNECT'
  | 'ERR_TUNNEL_IDENT_TIMEOUT'
  | 'ERR_TUNNEL_IDENT_ABORTED'
  | 'ERR_TUNNEL_IDENT_CLOSED'
  | 'ERR_TUNNEL_IDENT_MALFORMED'
  | 'ERR_TUNNEL_IDENT_TOO_LONG'
  | 'ERR_TUNNEL_IDENT_PORT_MISMATCH'
  | 'ERR_TUNNEL_IDENT_ERROR_REPLY'
  | 'ERR_TUNNEL_IDENT_MISMATCH'
  | 'ERR_TUNNEL_IDENT_BAD_ARGUMENT';

/** An ident lookup that did not yield an accepted user; `identError` holds the RFC 1413 error token for ERROR replies. */
export class IdentError extends Error {
  readonly code: IdentErrorCode;
  /** `NO-USER`, `HIDDEN-USER`, `INVALID-PORT`, `UNKNOWN-ERROR` or an `X…` token, for `ERR_TUNNEL_IDENT_ERROR_REPLY`. */
  readonly identError: string | undefined;
  /** The user id the peer reported, for `ERR_TUNNEL_IDENT_MISMATCH`. */
  readonly userId: string | undefined;

  constructor(code: IdentErrorCode, message: string, details: { cause?: unknown; identError?: string; userId?: string } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'IdentError';
    this.code = code;
    this.identError = details.identError;
    this.userId = details.userId;
  }
}
