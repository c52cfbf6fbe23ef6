import { isIP, Socket } from 'node:net';
import {
  AF_INET,
  AF_INET6,
  EINPROGRESS,
  EINTR,
  IPPROTO_TCP,
  SO_ERROR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from './constants.js';
import { OsError, syscallError } from './errors.js';
import { watchConnect } from './connect-watcher.js';
import { libc } from './libc.js';
import { encodeSockaddr } from './sockaddr.js';
import { type SocketOptionValue, setSocketOption } from './socket-options.js';
import { setTransparent } from './transparent.js';

/** Options of {@link connectSocket}. */
export interface ConnectSocketOptions {
  /** IP literal to connect to (resolve names first: this function does no DNS). */
  readonly host: string;
  readonly port: number;
  /** Source address to bind before connecting (`local =`, or the client's address for `transparent = source`). */
  readonly localAddress?: string;
  /** Source port to bind; 0 or absent lets the kernel choose. */
  readonly localPort?: number;
  /** Set IP_TRANSPARENT / IPV6_TRANSPARENT before bind, so `localAddress` may be a foreign address. */
  readonly transparent?: boolean;
  /** Socket options applied before bind/connect (`socket = r:...`). */
  readonly options?: readonly { readonly name: string; readonly value: SocketOptionValue }[];
  /** Give up after this many milliseconds (`ERR_TUNNEL_OS_CONNECT_TIMEOUT`); default 10 000. */
  readonly timeoutMs?: number;
  /** Aborts the attempt (`ERR_TUNNEL_OS_ABORTED`). */
  readonly signal?: AbortSignal;
  /** Passed to the net.Socket created around the connected descriptor. */
  readonly allowHalfOpen?: boolean;
}

/**
 * Opens a TCP connection the way Node's public API cannot: the descriptor is created with socket(2)
 * so that options (IP_TRANSPARENT, `socket = r:` options, a bound source address) are in place
 * BEFORE connect(2); once the non-blocking connect completes, the descriptor is handed to Node as
 * `new net.Socket({ fd })`. Resolves with that connected socket; errno failures reject with
 * `ERR_TUNNEL_OS_E*` (ECONNREFUSED, EADDRNOTAVAIL, EPERM, ...), and the descriptor is closed.
 */
export async function connectSocket(options: ConnectSocketOptions): Promise<Socket> {
  const family = isIP(options.host);
  if (family === 0)
    throw new OsError('ERR_TUNNEL_OS_BAD_ADDRESS', `connect target must be an IP literal, got ${JSON.stringify(options.host)}`);
  const remote = encodeSockaddr(options.host, options.port);
  const bindLocal = options.localAddress !== undefined || (options.localPort ?? 0) !== 0;
  let local: Buffer | undefined;
  if (bindLocal) {
    const localAddress = options.localAddress ?? (family === 4 ? '0.0.0.0' : '::');
    if (isIP(localAddress) !== family) {
      throw new OsError(
        'ERR_TUNNEL_OS_BAD_ADDRESS',
        `local address ${localAddress} and target ${options.host} are of different IP families`,
      );
    }
    local = encodeSockaddr(localAddress, options.localPort ?? 0);
  }
  if (options.signal?.aborted)
    throw new OsError('ERR_TUNNEL_OS_ABORTED', `connect to ${options.host}:${options.port} aborted`, { cause: options.signal.reason });
  const c = libc('connecting a socket');
  const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) throw syscallError('socket', c.errno(), 'creating the upstream socket');
  let handedOver = false;
  try {
    if (options.transparent === true) setTransparent(fd);
    for (const option of options.options ?? []) setSocketOption(fd, option.name, option.value);
    if (local !== undefined && c.bind(fd, local, local.length) !== 0) {
      throw syscallError('bind', c.errno(), `binding ${options.localAddress ?? '*'}:${options.localPort ?? 0}`);
    }
    if (c.connect(fd, remote, remote.length) !== 0) {
      const errno = c.errno();
      if (errno !== EINPROGRESS && errno !== EINTR) throw syscallError('connect', errno, `connecting to ${options.host}:${options.port}`);
      await waitWritable(fd, options);
    }
    const socket = new Socket({ fd, readable: true, writable: true, allowHalfOpen: options.allowHalfOpen ?? false });
    handedOver = true;
    return socket;
  } finally {
    if (!handedOver) c.close(fd);
  }
}

async function waitWritable(fd: number, options: ConnectSocketOptions): Promise<void> {
  const c = libc('connecting a socket');
  const what = `${options.host}:${options.port}`;
  const watch = watchConnect(fd);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([
      watch.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new OsError('ERR_TUNNEL_OS_CONNECT_TIMEOUT', `connect to ${what} timed out`)),
          options.timeoutMs ?? 10_000,
        );
        onAbort = () => reject(new OsError('ERR_TUNNEL_OS_ABORTED', `connect to ${what} aborted`, { cause: options.signal?.reason }));
        options.signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) options.signal?.removeEventListener('abort', onAbort);
    watch.cancel();
  }
  // The outcome of a non-blocking connect is reported through SO_ERROR (connect(2), EINPROGRESS).
  const error = Buffer.alloc(4);
  if (c.getsockopt(fd, SOL_SOCKET, SO_ERROR, error, [4]) !== 0) throw syscallError('getsockopt', c.errno(), 'reading the connect result');
  const errno = error.readInt32LE(0);
  if (errno !== 0) throw syscallError('connect', errno, `connecting to ${what}`);
}

/** {@link connectSocket} with IP_TRANSPARENT set: the connection leaves from `localAddress`, which may be the client's. */
export function connectTransparent(
  options: Omit<ConnectSocketOptions, 'transparent'> & { readonly localAddress: string },
): Promise<Socket> {
  return connectSocket({ ...options, transparent: true });
}
