import { once } from 'node:events';
import { isIP, type Server } from 'node:net';
import { AF_INET, AF_INET6, IPPROTO_TCP, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_STREAM } from './constants.js';
import { OsError, syscallError } from './errors.js';
import { libc } from './libc.js';
import { encodeSockaddr } from './sockaddr.js';
import { type SocketOptionValue, setSocketOption } from './socket-options.js';

/** Options of {@link listenSocket}. */
export interface ListenSocketOptions {
  /** IP literal to bind (`0.0.0.0`, `::`, an interface address). */
  readonly host: string;
  /** Port to bind; 0 lets the kernel choose. */
  readonly port: number;
  /** listen(2) backlog; default 511, like Node. */
  readonly backlog?: number;
  /**
   * `socket = a:` options, set before bind. SO_REUSEADDR=yes is applied first (stunnel's accept
   * default, also Node's), so `a:SO_REUSEADDR=no` can turn it off.
   */
  readonly options?: readonly { readonly name: string; readonly value: SocketOptionValue }[];
}

/**
 * Makes `server` listen on a socket whose options were set BEFORE bind(2) — what `socket = a:`
 * needs for SO_REUSEADDR=no, IPV6_V6ONLY, SO_BINDTODEVICE or buffer sizes inherited by accepted
 * sockets — by creating, binding and listening on the descriptor through FFI and handing it to
 * `server.listen({ fd })`. Resolves once the server is listening.
 */
export async function listenSocket(server: Server, options: ListenSocketOptions): Promise<void> {
  const family = isIP(options.host);
  if (family === 0)
    throw new OsError('ERR_TUNNEL_OS_BAD_ADDRESS', `listen address must be an IP literal, got ${JSON.stringify(options.host)}`);
  const address = encodeSockaddr(options.host, options.port);
  const c = libc('listening on a socket');
  const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) throw syscallError('socket', c.errno(), 'creating the listening socket');
  let handedOver = false;
  try {
    setSocketOption(fd, 'SO_REUSEADDR', true);
    for (const option of options.options ?? []) setSocketOption(fd, option.name, option.value);
    if (c.bind(fd, address, address.length) !== 0) throw syscallError('bind', c.errno(), `binding ${options.host}:${options.port}`);
    if (c.listen(fd, options.backlog ?? 511) !== 0) throw syscallError('listen', c.errno(), `listening on ${options.host}:${options.port}`);
    server.listen({ fd });
    handedOver = true;
  } finally {
    if (!handedOver) c.close(fd);
  }
  await once(server, 'listening');
}
