import type { Socket } from 'node:net';
import { OsError, originalDestination, type SocketEndpoint, socketFd } from '@tunnel/os';
import { TransparentError } from './errors.js';

/**
 * The address the client was really trying to reach before an iptables REDIRECT/DNAT sent it to us
 * (`transparent = destination`). Refuses a connection that came straight to the listener: its
 * "original" destination is the listener itself, and connecting there would loop forever.
 */
export function originalDestinationOf(socket: Socket): SocketEndpoint {
  let target: SocketEndpoint;
  try {
    target = originalDestination(socketFd(socket));
  } catch (error) {
    const errno = error instanceof OsError ? error.code : 'unknown';
    throw new TransparentError(
      'ERR_TUNNEL_TRANSPARENT_NO_ORIGINAL_DST',
      `no original destination for the connection from ${socket.remoteAddress}:${socket.remotePort} (${errno}); is it redirected by iptables -t nat ... -j REDIRECT/DNAT?`,
      { cause: error },
    );
  }
  if (sameEndpoint(target, socket.localAddress, socket.localPort)) {
    throw new TransparentError(
      'ERR_TUNNEL_TRANSPARENT_NOT_REDIRECTED',
      `the connection from ${socket.remoteAddress}:${socket.remotePort} was not redirected: its destination ${target.address}:${target.port} is this listener`,
    );
  }
  return target;
}

function sameEndpoint(target: SocketEndpoint, address: string | undefined, port: number | undefined): boolean {
  if (port !== target.port || address === undefined) return false;
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
  const plain = address.startsWith('::ffff:') ? address.slice(7) : address;
  return plain === target.address || address === target.address;
}
