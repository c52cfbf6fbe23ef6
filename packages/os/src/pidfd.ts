import { createRequire } from 'node:module';
import { OsError, syscallError } from './errors.js';
import { assertLinux } from './platform.js';

// Linux system call numbers of pidfd_open and pidfd_getfd: the same on every architecture (the unified table from 424 on).
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

interface PidfdCalls {
  syscall2(number: number, a: number, b: number): number;
  syscall3(number: number, a: number, b: number, c: number): number;
  close(fd: number): number;
  errno(): number;
}

let calls: PidfdCalls | undefined;

function bind(what: string): PidfdCalls {
  assertLinux(what);
  if (calls !== undefined) return calls;
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch (error) {
    throw new OsError('ERR_TUNNEL_OS_FFI_UNAVAILABLE', `${what}: the koffi FFI module could not be loaded`, { cause: error });
  }
  const lib = koffi.load('libc.so.6');
  const syscall = lib.func('long syscall(long number, ...)');
  calls = {
    syscall2: (number, a, b) => Number(syscall(number, 'int', a, 'unsigned int', b)),
    syscall3: (number, a, b, c) => Number(syscall(number, 'int', a, 'int', b, 'unsigned int', c)),
    close: lib.func('int close(int fd)'),
    errno: () => koffi.errno(),
  };
  return calls;
}

/**
 * A copy, in this process, of file descriptor `fd` of process `pid` (pidfd_open + pidfd_getfd, Linux 5.6+). It needs
 * ptrace rights over the target (same user with ptrace_scope 0, or CAP_SYS_PTRACE). The copy refers to the same open
 * socket, so getsockopt on it reads the target's socket options: how tests check what a running tunnel set. Close it
 * with `closeFd`. Throws `ERR_TUNNEL_OS_E*` naming the failed call.
 */
export function duplicateFdOf(pid: number, fd: number): number {
  const c = bind('duplicateFdOf');
  const pidfd = c.syscall2(SYS_PIDFD_OPEN, pid, 0);
  if (pidfd < 0) throw syscallError('pidfd_open', c.errno(), `opening process ${pid}`);
  try {
    const copy = c.syscall3(SYS_PIDFD_GETFD, pidfd, fd, 0);
    if (copy < 0) throw syscallError('pidfd_getfd', c.errno(), `copying fd ${fd} of process ${pid}`);
    return copy;
  } finally {
    c.close(pidfd);
  }
}
