/** Fields an error may carry besides its code, for logs and callers. */
export interface TunnelErrorDetails {
  readonly cause?: unknown;
  /** The service (`[name]`) the error happened in. */
  readonly service?: string;
  /** The connection stage: `accept`, `preConnect`, `connect`, `preTls`, `tls`, `postTls`, `transfer`. */
  readonly stage?: string;
}

/**
 * An error of the tunnel engine. Callers match on `code` (stable, documented
 * in the README), never on the message.
 */
export class TunnelError extends Error {
  readonly code: string;
  readonly service: string | undefined;
  readonly stage: string | undefined;

  constructor(code: string, message: string, details: TunnelErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TunnelError';
    this.code = code;
    this.service = details.service;
    this.stage = details.stage;
  }
}
