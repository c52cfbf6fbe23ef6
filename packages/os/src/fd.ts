import type { Socket } from 'node:net';
import { OsError } from './errors.js';

/** The kernel file descriptor behind a connected or listening net.Socket / net.Server (`_handle.fd`). */
export function socketFd(socket: Socket | { _handle?: unknown }): number {
  const fd = (socket as { _handle?: { fd?: unknown } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0)
    throw new OsError('ERR_TUNNEL_OS_BAD_FD', 'the socket has no file descriptor (not connected, destroyed, or not a TCP socket)');
  return fd;
}
