import { ProtocolError } from '@tunnel/protocol';

/** Every error code this package raises (besides the channel's own `ERR_TUNNEL_LINE_TOO_LONG`, `ERR_TUNNEL_PEER_CLOSED`, `ERR_TUNNEL_ABORTED`). */
export type NntpErrorCode =
  | 'ERR_TUNNEL_NNTP_BAD_REPLY'
  | 'ERR_TUNNEL_NNTP_BAD_GREETING'
  | 'ERR_TUNNEL_NNTP_NO_STARTTLS'
  | 'ERR_TUNNEL_NNTP_PLAINTEXT_AFTER_STARTTLS'
  | 'ERR_TUNNEL_NNTP_OPTION';

/** A failed NNTP STARTTLS negotiation. Match on `code`. */
export class NntpError extends ProtocolError {
  declare readonly code: NntpErrorCode;
  /** The server's reply line that caused the error, when there is one (control characters escaped). */
  readonly reply: string | undefined;

  constructor(code: NntpErrorCode, message: string, details: { cause?: unknown; stage?: string; reply?: string } = {}) {
    super(code, message, details);
    this.name = 'NntpError';
    this.reply = details.reply;
  }
}
