import { createRequire } from 'node:module';
import { OsError, syscallError } from './errors.js';
import { libc } from './libc.js';
import { assertLinux } from './platform.js';
import { decodeSockaddr, type SocketEndpoint } from './sockaddr.js';

/**
 * sd_notify(3) without libsystemd, and getsockname(2) for inherited sockets.
 * Node has no Unix datagram sockets, so the one datagram systemd expects on
 * `NOTIFY_SOCKET` is sent with socket/sendto through koffi.
 */

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(sockaddr_un.sun_path) on Linux (unix(7)). */
const SUN_PATH_MAX = 108;

interface Extra {
  sendto(fd: number, data: Buffer, length: number, flags: number, address: Buffer, addressLength: number): number;
  getsockname(fd: number, address: Buffer, length: number[]): number;
}

let extra: Extra | undefined;

function bindExtra(what: string): Extra {
  if (extra !== undefined) return extra;
  libc(what); // loads koffi and checks the platform with the package's usual errors
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const lib = koffi.load('libc.so.6');
  extra = {
    sendto: lib.func('long sendto(int fd, const void *data, unsigned long length, int flags, const void *address, uint32_t addressLength)'),
    getsockname: lib.func('int getsockname(int fd, _Out_ void *address, _Inout_ uint32_t *length)'),
  };
  return extra;
}

/**
 * `struct sockaddr_un` for a path; a leading `@` names the abstract namespace
 * (systemd writes NOTIFY_SOCKET that way), encoded with a leading NUL byte and
 * no terminator.
 */
export function encodeUnixSockaddr(path: string): Buffer {
  const abstract = path.startsWith('@');
  const name = abstract ? Buffer.concat([Buffer.from([0]), Buffer.from(path.slice(1))]) : Buffer.from(path);
  if (name.length === 0 || name.length >= SUN_PATH_MAX) {
    throw new OsError('ERR_TUNNEL_OS_BAD_ADDRESS', `Unix socket path must be 1 to ${SUN_PATH_MAX - 1} bytes: ${JSON.stringify(path)}`);
  }
  const buffer = Buffer.alloc(2 + name.length + (abstract ? 0 : 1));
  buffer.writeUInt16LE(AF_UNIX, 0);
  name.copy(buffer, 2);
  return buffer;
}

/**
 * Sends one datagram to a Unix datagram socket (`NOTIFY_SOCKET`): `READY=1`,
 * `RELOADING=1`, `STOPPING=1`, `WATCHDOG=1`, `STATUS=…`, newline-separated.
 * Throws `ERR_TUNNEL_OS_E…` (e.g. `ECONNREFUSED` when nobody listens, `ENOENT`).
 */
export function sendDatagram(path: string, payload: string | Buffer): void {
  assertLinux('sd_notify');
  const c = libc('sd_notify');
  const ffi = bindExtra('sd_notify');
  const address = encodeUnixSockaddr(path);
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw syscallError('socket', c.errno(), 'sd_notify');
  try {
    const sent = ffi.sendto(fd, data, data.length, MSG_NOSIGNAL, address, address.length);
    if (sent < 0) throw syscallError('sendto', c.errno(), `sd_notify to ${path}`);
  } finally {
    c.close(fd);
  }
}

/** The local address of a socket descriptor (getsockname): an IP endpoint, a Unix path, or undefined for another family. */
export function socketLocalAddress(fd: number): SocketEndpoint | { readonly path: string } | undefined {
  const c = libc('getsockname');
  const ffi = bindExtra('getsockname');
  const buffer = Buffer.alloc(128);
  const length = [buffer.length];
  if (ffi.getsockname(fd, buffer, length) !== 0) throw syscallError('getsockname', c.errno(), `descriptor ${fd}`);
  const used = buffer.subarray(0, Math.min(length[0] ?? 0, buffer.length));
  if (used.length >= 2 && used.readUInt16LE(0) === AF_UNIX) {
    const raw = used.subarray(2);
    const path = raw[0] === 0 ? `@${raw.subarray(1).toString()}` : raw.toString().replace(/\0.*$/s, '');
    return { path };
  }
  try {
    return decodeSockaddr(used);
  } catch {
    return undefined;
  }
}
