import { AF_INET6, IP_TRANSPARENT, IPV6_TRANSPARENT, SOL_IP, SOL_IPV6 } from './constants.js';
import { syscallError } from './errors.js';
import { libc } from './libc.js';
import { socketDomain } from './original-destination.js';

/**
 * Sets IP_TRANSPARENT (IPv4) or IPV6_TRANSPARENT (IPv6) on `fd` so it may bind a non-local address
 * (`transparent = source`, Linux >= 2.6.28). Needs CAP_NET_ADMIN or CAP_NET_RAW: without it the
 * kernel answers EPERM, reported as `ERR_TUNNEL_OS_EPERM`.
 */
export function setTransparent(fd: number): void {
  const c = libc('IP_TRANSPARENT');
  const v6 = socketDomain(c, fd) === AF_INET6;
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  if (c.setsockopt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, one, 4) !== 0) {
    throw syscallError('setsockopt', c.errno(), `setting ${v6 ? 'IPV6_TRANSPARENT' : 'IP_TRANSPARENT'} on fd ${fd}`);
  }
}
