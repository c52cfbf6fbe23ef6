import { ProtocolError } from '@tunnel/protocol';

/** Every error code this package raises (besides the channel's own `ERR_TUNNEL_PEER_CLOSED`, `ERR_TUNNEL_ABORTED`). */
export type CifsErrorCode =
  | 'ERR_TUNNEL_CIFS_NOT_NEGATIVE_RESPONSE'
  | 'ERR_TUNNEL_CIFS_BAD_LENGTH'
  | 'ERR_TUNNEL_CIFS_NO_SSL'
  | 'ERR_TUNNEL_CIFS_TOO_LONG'
  | 'ERR_TUNNEL_CIFS_NOT_SESSION_REQUEST'
  | 'ERR_TUNNEL_CIFS_UNEXPECTED_DATA'
  | 'ERR_TUNNEL_CIFS_OPTION';

/** A failed CIFS (NetBIOS session) SSL negotiation. Match on `code`. */
export class CifsError extends ProtocolError {
  declare readonly code: CifsErrorCode;

  constructor(code: CifsErrorCode, message: string, details: { cause?: unknown; stage?: string } = {}) {
    super(code, message, details);
    this.name = 'CifsError';
  }
}
