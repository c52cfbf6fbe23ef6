import { AF_INET6, IP6T_SO_ORIGINAL_DST, SO_DOMAIN, SO_ORIGINAL_DST, SOL_IP, SOL_IPV6, SOL_SOCKET } from './constants.js';
import { errnoName, syscallError } from './errors.js';
import { type Libc, libc } from './libc.js';
import { decodeSockaddr, type SocketEndpoint } from './sockaddr.js';

/** The address family (AF_INET / AF_INET6) of socket `fd`, read with SO_DOMAIN. */
export function socketDomain(c: Libc, fd: number): number {
  const buffer = Buffer.alloc(4);
  if (c.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, buffer, [4]) !== 0)
    throw syscallError('getsockopt', c.errno(), `reading the family of fd ${fd}`);
  return buffer.readInt32LE(0);
}

function originalDst(c: Libc, fd: number, level: number, size: number): SocketEndpoint | number {
  const buffer = Buffer.alloc(size);
  const length = [size];
  if (c.getsockopt(fd, level, level === SOL_IP ? SO_ORIGINAL_DST : IP6T_SO_ORIGINAL_DST, buffer, length) !== 0) return c.errno();
  return decodeSockaddr(buffer.subarray(0, length[0]));
}

/**
 * The destination a connection had before netfilter NAT (iptables REDIRECT / DNAT) rewrote it:
 * getsockopt(SOL_IP, SO_ORIGINAL_DST) for IPv4, getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST) for IPv6.
 * An IPv6 socket carrying an IPv4-mapped connection is asked the IPv4 way as well. A connection that
 * conntrack does not know fails with `ERR_TUNNEL_OS_ENOENT`.
 */
export function originalDestination(fd: number): SocketEndpoint {
  const c = libc('reading the original destination');
  const domain = socketDomain(c, fd);
  let result = domain === AF_INET6 ? originalDst(c, fd, SOL_IPV6, 28) : originalDst(c, fd, SOL_IP, 16);
  if (typeof result === 'number' && domain === AF_INET6 && errnoName(result) === 'ENOENT') result = originalDst(c, fd, SOL_IP, 16);
  if (typeof result === 'number')
    throw syscallError('getsockopt', result, `reading SO_ORIGINAL_DST of fd ${fd} (is the connection NATed by netfilter?)`);
  return result;
}
