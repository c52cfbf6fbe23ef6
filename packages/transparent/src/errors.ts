/** Codes of {@link TransparentError}. */
export type TransparentErrorCode =
  | 'ERR_TUNNEL_TRANSPARENT_BAD_MODE'
  | 'ERR_TUNNEL_TRANSPARENT_NO_ORIGINAL_DST'
  | 'ERR_TUNNEL_TRANSPARENT_NOT_REDIRECTED'
  | 'ERR_TUNNEL_TRANSPARENT_NO_TARGET'
  | 'ERR_TUNNEL_TRANSPARENT_PRIVILEGE'
  | 'ERR_TUNNEL_TRANSPARENT_CONNECT_FAILED';

/** A transparent-proxy failure; `cause` is the underlying `@tunnel/os` error (with its errno code) when there is one. */
export class TransparentError extends Error {
  readonly code: TransparentErrorCode;

  constructor(code: TransparentErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransparentError';
    this.code = code;
  }
}
