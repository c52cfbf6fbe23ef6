import { ProtocolError, type ProtocolErrorDetails } from '@tunnel/protocol';

/** Every code an SMTP negotiation step throws (channel codes such as `ERR_TUNNEL_LINE_TOO_LONG` pass through unchanged). */
export type SmtpErrorCode =
  | 'ERR_TUNNEL_SMTP_BAD_REPLY'
  | 'ERR_TUNNEL_SMTP_TOO_MANY_LINES'
  | 'ERR_TUNNEL_SMTP_REJECTED'
  | 'ERR_TUNNEL_SMTP_NO_STARTTLS'
  | 'ERR_TUNNEL_SMTP_AUTH_FAILED'
  | 'ERR_TUNNEL_SMTP_UNEXPECTED_COMMAND'
  | 'ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION'
  | 'ERR_TUNNEL_SMTP_INVALID_OPTION';

/** Details of an SMTP error besides its code. */
export interface SmtpErrorDetails extends ProtocolErrorDetails {
  /** The `protocol*` option at fault, for `ERR_TUNNEL_SMTP_INVALID_OPTION`. */
  readonly option?: string;
  /** The reply line (or command line) that caused the failure, when there is one. */
  readonly line?: string;
}

/** An SMTP dialogue failed or an SMTP option is invalid. Match on `code`. */
export class SmtpError extends ProtocolError {
  declare readonly code: SmtpErrorCode;
  readonly option: string | undefined;
  readonly line: string | undefined;

  constructor(code: SmtpErrorCode, message: string, details: SmtpErrorDetails = {}) {
    super(code, message, details);
    this.name = 'SmtpError';
    this.option = details.option;
    this.line = details.line;
  }
}
