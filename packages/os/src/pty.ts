import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { ReadStream } from 'node:tty';
import { OsError, syscallError } from './errors.js';
import { assertLinux } from './platform.js';

/** A pseudo-terminal pair: the master stays with tunnel, the slave becomes a program's stdin/stdout/stderr. */
export interface Pty {
  /** The master side's file descriptor (what `ptyStream` reads and writes). */
  readonly master: number;
  /** The slave side's file descriptor, opened without becoming anyone's controlling terminal. Close it once the child has it. */
  readonly slave: number;
  /** The slave's device path (`/dev/pts/N`): what `tty` prints in the child. */
  readonly path: string;
}

interface PtyCalls {
  posix_openpt(flags: number): number;
  grantpt(fd: number): number;
  unlockpt(fd: number): number;
  ptsname_r(fd: number, buffer: Buffer, length: number): number;
  open(path: string, flags: number): number;
  close(fd: number): number;
  errno(): number;
}

// <fcntl.h> on Linux (x86, arm): O_RDWR, O_NOCTTY, O_CLOEXEC.
const O_RDWR = 0o2;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;

let calls: PtyCalls | undefined;

function bind(what: string): PtyCalls {
  assertLinux(what);
  if (calls !== undefined) return calls;
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch (error) {
    throw new OsError('ERR_TUNNEL_OS_FFI_UNAVAILABLE', `${what}: the koffi FFI module could not be loaded`, { cause: error });
  }
  const lib = koffi.load('libc.so.6');
  calls = {
    posix_openpt: lib.func('int posix_openpt(int flags)'),
    grantpt: lib.func('int grantpt(int fd)'),
    unlockpt: lib.func('int unlockpt(int fd)'),
    ptsname_r: lib.func('int ptsname_r(int fd, _Out_ char *buffer, unsigned long length)'),
    open: lib.func('int open(const char *path, int flags)'),
    close: lib.func('int close(int fd)'),
    errno: () => koffi.errno(),
  };
  return calls;
}

/**
 * Allocates a pseudo-terminal (posix_openpt, grantpt, unlockpt, ptsname_r, then opens the slave), both ends
 * close-on-exec and O_NOCTTY so tunnel never gains a controlling terminal. The terminal keeps the kernel's
 * default settings (echo, ICRNL/ONLCR), as stunnel's `pty = yes` leaves them; a program such as pppd sets its own.
 * Throws `ERR_TUNNEL_OS_E*` naming the failed call.
 */
export function openPty(): Pty {
  const c = bind('pty');
  const master = c.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) throw syscallError('posix_openpt', c.errno(), 'allocating a pseudo-terminal');
  const fail = (syscall: string, errno: number): never => {
    c.close(master);
    throw syscallError(syscall, errno, 'allocating a pseudo-terminal');
  };
  if (c.grantpt(master) !== 0) fail('grantpt', c.errno());
  if (c.unlockpt(master) !== 0) fail('unlockpt', c.errno());
  const name = Buffer.alloc(128);
  const status = c.ptsname_r(master, name, name.length);
  // ptsname_r returns the error number itself rather than setting errno.
  if (status !== 0) fail('ptsname_r', status);
  const path = name.toString('latin1', 0, name.indexOf(0));
  const slave = c.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) fail('open', c.errno());
  return { master, slave, path };
}

/** Closes a file descriptor this package handed out (the pty slave once the child holds it). Errors are ignored: the fd is gone either way. */
export function closeFd(fd: number): void {
  bind('closeFd').close(fd);
}

/**
 * The master side of a pty as a Duplex. Underneath is a `tty.ReadStream` (libuv's TTY handle: non-blocking, with
 * backpressure). When the last holder of the slave exits, the kernel reports EIO on the master: that is the
 * terminal's end of file, so it ends the readable side instead of erroring. A terminal has no half-close, so
 * ending the writable side sends nothing (the program sees the end only when the stream is destroyed and it gets
 * a hangup). The stream owns the fd: destroying it closes the master.
 */
export function ptyStream(master: number): Duplex {
  return new PtyStream(master);
}

class PtyStream extends Duplex {
  readonly #tty: ReadStream;

  constructor(master: number) {
    super({ allowHalfOpen: true });
    const tty = new ReadStream(master);
    this.#tty = tty;
    tty.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) tty.pause();
    });
    tty.on('end', () => this.push(null));
    tty.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EIO') this.push(null);
      else this.destroy(error);
    });
    tty.pause();
  }

  override _read(): void {
    this.#tty.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Output for a program that has already gone is dropped, as a write to a hung-up terminal would be.
    const tty = this.#tty;
    if (tty.destroyed || tty.write(chunk)) {
      callback();
      return;
    }
    const done = () => {
      tty.off('drain', done);
      tty.off('close', done);
      callback();
    };
    tty.on('drain', done);
    tty.on('close', done);
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#tty.destroy();
    callback(error);
  }
}
