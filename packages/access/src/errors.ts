/** Codes of {@link AccessError}. */
export type AccessErrorCode =
  | 'ERR_TUNNEL_ACCESS_SYNTAX'
  | 'ERR_TUNNEL_ACCESS_UNSUPPORTED'
  | 'ERR_TUNNEL_ACCESS_TOO_LARGE'
  | 'ERR_TUNNEL_ACCESS_FILE'
  | 'ERR_TUNNEL_ACCESS_BAD_ADDRESS';

/**
 * A table that cannot be evaluated faithfully, or a request that cannot be checked. Callers must
 * treat it as "deny" (fail closed). `file` and `line` locate table errors.
 */
export class AccessError extends Error {
  readonly code: AccessErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(code: AccessErrorCode, message: string, details: { file?: string; line?: number; cause?: unknown } = {}) {
    const where = details.file === undefined ? '' : `${details.file}${details.line === undefined ? '' : `:${details.line}`}: `;
    super(`${where}${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AccessError';
    this.code = code;
    this.file = details.file;
    this.line = details.line;
  }
}
