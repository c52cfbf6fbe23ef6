import { ProtocolError } from '@tunnel/protocol';

/** Every error code this package raises (besides the channel's own `ERR_TUNNEL_PEER_CLOSED`, `ERR_TUNNEL_ABORTED`). */
export type PgsqlErrorCode =
  | 'ERR_TUNNEL_PGSQL_NO_SSL'
  | 'ERR_TUNNEL_PGSQL_BAD_RESPONSE'
  | 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST'
  | 'ERR_TUNNEL_PGSQL_UNEXPECTED_DATA'
  | 'ERR_TUNNEL_PGSQL_OPTION';

/** A failed PostgreSQL SSLRequest negotiation. Match on `code`. */
export class PgsqlError extends ProtocolError {
  declare readonly code: PgsqlErrorCode;

  constructor(code: PgsqlErrorCode, message: string, details: { cause?: unknown; stage?: string } = {}) {
    super(code, message, details);
    this.name = 'PgsqlError';
  }
}
