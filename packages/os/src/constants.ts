/**
 * Linux numbers from <sys/socket.h>, <netinet/in.h>, <netinet/tcp.h> and
 * <linux/netfilter_ipv4.h> (asm-generic layout; see platform.ts for the
 * architectures this excludes).
 */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const IPPROTO_TCP = 6;

export const SOL_SOCKET = 1;
export const SOL_IP = 0;
export const SOL_IPV6 = 41;

export const SO_ERROR = 4;
export const SO_DOMAIN = 39;

/** IP_TRANSPARENT (Linux 2.6.28): bind and accept foreign addresses (needs CAP_NET_ADMIN or CAP_NET_RAW). */
export const IP_TRANSPARENT = 19;
export const IPV6_TRANSPARENT = 75;
/** SO_ORIGINAL_DST from <linux/netfilter_ipv4.h>: the destination before a NAT REDIRECT/DNAT rewrote it. */
export const SO_ORIGINAL_DST = 80;
/** IP6T_SO_ORIGINAL_DST from <linux/netfilter_ipv6/ip6_tables.h>: the same for IPv6. */
export const IP6T_SO_ORIGINAL_DST = 80;

export const POLLIN = 0x001;
export const POLLOUT = 0x004;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;

export const EINPROGRESS = 115;
export const EINTR = 4;
