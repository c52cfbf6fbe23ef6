import { ProtocolError } from '@tunnel/protocol';

/** Every error code this package throws; each is listed in the README's Errors table. */
export type ConnectErrorCode =
  | 'ERR_TUNNEL_CONNECT_BAD_RESPONSE'
  | 'ERR_TUNNEL_CONNECT_TOO_MANY_HEADERS'
  | 'ERR_TUNNEL_CONNECT_REFUSED'
  | 'ERR_TUNNEL_CONNECT_AUTH_REQUIRED'
  | 'ERR_TUNNEL_CONNECT_NTLM'
  | 'ERR_TUNNEL_CONNECT_BAD_OPTION';

/** An error of the CONNECT dialogue; `status` is the proxy's HTTP status when there was one. */
export class ConnectError extends ProtocolError {
  readonly status: number | undefined;

  constructor(code: ConnectErrorCode, message: string, details: { status?: number; cause?: unknown } = {}) {
    super(code, message, { cause: details.cause, stage: 'connect' });
    this.name = 'ConnectError';
    this.status = details.status;
  }
}
