import { createRequire } from 'node:module';
import { OsError } from './errors.js';
import { assertLinux } from './platform.js';

/** The libc entry points this package calls, bound once through koffi. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: number[]): number;
  bind(fd: number, address: Buffer, length: number): number;
  connect(fd: number, address: Buffer, length: number): number;
  listen(fd: number, backlog: number): number;
  close(fd: number): number;
  pipe2(fds: Int32Array, flags: number): number;
  read(fd: number, buffer: Buffer, length: number): number;
  write(fd: number, buffer: Buffer, length: number): number;
  /** O_NONBLOCK | O_CLOEXEC for pipe2. */
  nonblockCloexec: number;
  chroot(path: string): number;
  /** poll(2) run on a koffi worker thread so that waiting for a connect never blocks the event loop. */
  pollAsync(fds: Buffer, count: number, timeoutMs: number): Promise<number>;
  /** getpwnam(3): uid and primary gid of a user name, or undefined when there is no such user. */
  getpwnam(name: string): { uid: number; gid: number } | undefined;
  /** getgrnam(3): gid of a group name, or undefined when there is no such group. */
  getgrnam(name: string): number | undefined;
  /** errno of the last synchronous call on this thread. */
  errno(): number;
  /** Size of a C `long`, which is the size of each `struct timeval` member on Linux. */
  longSize: number;
}

let bound: Libc | undefined;

/** Loads libc through koffi on first use; throws `ERR_TUNNEL_OS_UNSUPPORTED_PLATFORM` off Linux. */
export function libc(what: string): Libc {
  assertLinux(what);
  if (bound !== undefined) return bound;
  // koffi is CommonJS with a native part: load it lazily so importing this package stays free on every platform.
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch (error) {
    throw new OsError('ERR_TUNNEL_OS_FFI_UNAVAILABLE', `${what}: the koffi FFI module could not be loaded`, { cause: error });
  }
  const lib = koffi.load('libc.so.6');
  const passwd = koffi.struct('passwd', {
    pw_name: 'char *',
    pw_passwd: 'char *',
    pw_uid: 'uint32_t',
    pw_gid: 'uint32_t',
    pw_gecos: 'char *',
    pw_dir: 'char *',
    pw_shell: 'char *',
  });
  const group = koffi.struct('group', { gr_name: 'char *', gr_passwd: 'char *', gr_gid: 'uint32_t', gr_mem: 'void *' });
  const getpwnam = lib.func('passwd *getpwnam(const char *name)');
  const getgrnam = lib.func('group *getgrnam(const char *name)');
  const poll = lib.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)');
  bound = {
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    setsockopt: lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t length)'),
    getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ uint32_t *length)'),
    bind: lib.func('int bind(int fd, const void *address, uint32_t length)'),
    connect: lib.func('int connect(int fd, const void *address, uint32_t length)'),
    listen: lib.func('int listen(int fd, int backlog)'),
    close: lib.func('int close(int fd)'),
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)'),
    read: lib.func('long read(int fd, _Out_ void *buffer, unsigned long length)'),
    write: lib.func('long write(int fd, const void *buffer, unsigned long length)'),
    // O_NONBLOCK | O_CLOEXEC: the same values as SOCK_NONBLOCK | SOCK_CLOEXEC on the supported architectures.
    nonblockCloexec: 0o4000 | 0o2000000,
    chroot: lib.func('int chroot(const char *path)'),
    pollAsync: (fds, count, timeoutMs) =>
      new Promise((resolve, reject) => {
        poll.async(fds, count, timeoutMs, (error: unknown, result: number) => (error ? reject(error) : resolve(result)));
      }),
    getpwnam: (name) => {
      const entry = getpwnam(name);
      if (entry === null) return undefined;
      const decoded = koffi.decode(entry, passwd) as { pw_uid: number; pw_gid: number };
      return { uid: decoded.pw_uid, gid: decoded.pw_gid };
    },
    getgrnam: (name) => {
      const entry = getgrnam(name);
      return entry === null ? undefined : (koffi.decode(entry, group) as { gr_gid: number }).gr_gid;
    },
    errno: () => koffi.errno(),
    longSize: koffi.sizeof('long'),
  };
  return bound;
}
