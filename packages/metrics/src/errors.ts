/** Codes of {@link MetricsError}. */
export type MetricsErrorCode = 'ERR_TUNNEL_METRICS_LISTEN' | 'ERR_TUNNEL_METRICS_COLLECT';

/** A failure of the metrics endpoint: it could not bind, or the figures could not be collected for one scrape. */
export class MetricsError extends Error {
  readonly code: MetricsErrorCode;

  constructor(code: MetricsErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MetricsError';
    this.code = code;
  }
}
