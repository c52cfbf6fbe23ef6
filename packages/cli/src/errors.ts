/**
 * An error the user caused (a bad flag, a bad config, a file that cannot be
 * read). The command prints its message without a stack trace and exits 1.
 */
export class CliError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
  }
}
