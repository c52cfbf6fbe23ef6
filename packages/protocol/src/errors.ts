/** Fields an error may carry besides its code, for logs and callers. */
export interface ProtocolErrorDetails {
  readonly cause?: unknown;
  /** The service (`[name]`) the error happened in. */
  readonly service?: string;
  /** The connection stage: `preConnect`, `preTls`, `postTls`, or a protocol's own step name. */
  readonly stage?: string;
}

/**
 * An error raised by a negotiation step (a channel read, a protocol dialogue).
 * Protocol packages throw it with their own codes (`ERR_TUNNEL_SMTP_...`).
 * Callers match on `code` (stable, documented in each README), never on the
 * message.
 */
export class ProtocolError extends Error {
  readonly code: string;
  readonly service: string | undefined;
  readonly stage: string | undefined;

  constructor(code: string, message: string, details: ProtocolErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ProtocolError';
    this.code = code;
    this.service = details.service;
    this.stage = details.stage;
  }
}
