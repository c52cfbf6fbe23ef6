import { ProtocolError, type ProtocolErrorDetails } from '@tunnel/protocol';

/** Every code a POP3 negotiation step throws (channel codes such as `ERR_TUNNEL_LINE_TOO_LONG` pass through unchanged). */
export type Pop3ErrorCode =
  | 'ERR_TUNNEL_POP3_REJECTED'
  | 'ERR_TUNNEL_POP3_NO_STLS'
  | 'ERR_TUNNEL_POP3_UNEXPECTED_COMMAND'
  | 'ERR_TUNNEL_POP3_PLAINTEXT_INJECTION'
  | 'ERR_TUNNEL_POP3_INVALID_OPTION';

/** Details of a POP3 error besides its code. */
export interface Pop3ErrorDetails extends ProtocolErrorDetails {
  /** The `protocol*` option at fault, for `ERR_TUNNEL_POP3_INVALID_OPTION`. */
  readonly option?: string;
  /** The line that caused the failure, when there is one. */
  readonly line?: string;
}

/** A POP3 dialogue failed or a POP3 option is invalid. Match on `code`. */
export class Pop3Error extends ProtocolError {
  declare readonly code: Pop3ErrorCode;
  readonly option: string | undefined;
  readonly line: string | undefined;

  constructor(code: Pop3ErrorCode, message: string, details: Pop3ErrorDetails = {}) {
    super(code, message, details);
    this.name = 'Pop3Error';
    this.option = details.option;
    this.line = details.line;
  }
}
