import { constants } from 'node:os';

/**
 * Codes of {@link OsError}. Failed system calls map their errno name into the code
 * (`ERR_TUNNEL_OS_EPERM`, `ERR_TUNNEL_OS_ECONNREFUSED`, …) so callers match on a
 * stable string instead of a platform number.
 */
export type OsErrorCode =
  | 'ERR_TUNNEL_OS_UNSUPPORTED_PLATFORM'
  | 'ERR_TUNNEL_OS_FFI_UNAVAILABLE'
  | 'ERR_TUNNEL_OS_UNKNOWN_OPTION'
  | 'ERR_TUNNEL_OS_BAD_OPTION_VALUE'
  | 'ERR_TUNNEL_OS_BAD_ADDRESS'
  | 'ERR_TUNNEL_OS_BAD_FD'
  | 'ERR_TUNNEL_OS_UNKNOWN_USER'
  | 'ERR_TUNNEL_OS_UNKNOWN_GROUP'
  | 'ERR_TUNNEL_OS_CONNECT_TIMEOUT'
  | 'ERR_TUNNEL_OS_ABORTED'
  | `ERR_TUNNEL_OS_E${string}`;

/** Every failure of this package: a refused platform, a bad argument, or a system call that returned an errno. */
export class OsError extends Error {
  readonly code: OsErrorCode;
  /** The system call that failed, when one did (`setsockopt`, `chroot`, …). */
  readonly syscall: string | undefined;
  /** The raw errno number, when a system call failed. */
  readonly errno: number | undefined;

  constructor(code: OsErrorCode, message: string, details: { syscall?: string; errno?: number; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OsError';
    this.code = code;
    this.syscall = details.syscall;
    this.errno = details.errno;
  }
}

// Node already knows this platform's errno table; inverting it keeps the numbers out of our source.
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** The symbolic name of an errno number (`EPERM`), or `E<number>` when the platform has no name for it. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

/** Builds the error for a system call that failed with `errno`; `what` says what was being done, for the message. */
export function syscallError(syscall: string, errno: number, what: string): OsError {
  const name = errnoName(errno);
  return new OsError(`ERR_TUNNEL_OS_${name}` as OsErrorCode, `${what}: ${syscall}() failed with ${name}${hint(name)}`, { syscall, errno });
}

/** Converts an error thrown by a Node built-in (which carries a string `code` such as `EPERM`) into an OsError. */
export function fromNodeError(syscall: string, error: unknown, what: string): OsError {
  const code = (error as { code?: unknown }).code;
  const errno = (error as { errno?: unknown }).errno;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) {
    return new OsError(`ERR_TUNNEL_OS_${code}` as OsErrorCode, `${what}: ${syscall}() failed with ${code}${hint(code)}`, {
      syscall,
      errno: typeof errno === 'number' ? Math.abs(errno) : constants.errno[code as keyof typeof constants.errno],
      cause: error,
    });
  }
  return new OsError('ERR_TUNNEL_OS_EINVAL', `${what}: ${error instanceof Error ? error.message : String(error)}`, {
    syscall,
    cause: error,
  });
}

// The two errnos people meet first deserve a sentence on what to do about them.
function hint(name: string): string {
  if (name === 'EPERM') return ' (this needs root or the matching capability, e.g. CAP_NET_ADMIN / CAP_SYS_CHROOT / CAP_SETUID)';
  if (name === 'EACCES') return ' (permission denied)';
  return '';
}
