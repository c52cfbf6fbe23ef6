import { ProtocolError, type ProtocolErrorDetails } from '@tunnel/protocol';

/** Every code an IMAP negotiation step throws (channel codes such as `ERR_TUNNEL_LINE_TOO_LONG` pass through unchanged). */
export type ImapErrorCode =
  | 'ERR_TUNNEL_IMAP_REJECTED'
  | 'ERR_TUNNEL_IMAP_NO_STARTTLS'
  | 'ERR_TUNNEL_IMAP_TOO_MANY_LINES'
  | 'ERR_TUNNEL_IMAP_UNEXPECTED_COMMAND'
  | 'ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS'
  | 'ERR_TUNNEL_IMAP_LOGOUT'
  | 'ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION'
  | 'ERR_TUNNEL_IMAP_INVALID_OPTION';

/** Details of an IMAP error besides its code. */
export interface ImapErrorDetails extends ProtocolErrorDetails {
  /** The `protocol*` option at fault, for `ERR_TUNNEL_IMAP_INVALID_OPTION`. */
  readonly option?: string;
  /** The line that caused the failure, when there is one. */
  readonly line?: string;
}

/** An IMAP dialogue failed or an IMAP option is invalid. Match on `code`. */
export class ImapError extends ProtocolError {
  declare readonly code: ImapErrorCode;
  readonly option: string | undefined;
  readonly line: string | undefined;

  constructor(code: ImapErrorCode, message: string, details: ImapErrorDetails = {}) {
    super(code, message, details);
    this.name = 'ImapError';
    this.option = details.option;
    this.line = details.line;
  }
}
