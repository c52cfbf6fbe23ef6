/** Pure encoders for the server's SOCKS replies. */
import { isIPv4, isIPv6 } from 'node:net';
import { ipv6ToBytes } from './address.js';

/** What the server tells the client about its request, named after the RFC 1928 §6 reply codes. */
export type SocksStatus =
  | 'succeeded'
  | 'general-failure'
  | 'not-allowed'
  | 'network-unreachable'
  | 'host-unreachable'
  | 'connection-refused'
  | 'ttl-expired'
  | 'command-not-supported'
  | 'address-type-not-supported';

const SOCKS5_CODES: Readonly<Record<SocksStatus, number>> = {
  succeeded: 0x00,
  'general-failure': 0x01,
  'not-allowed': 0x02,
  'network-unreachable': 0x03,
  'host-unreachable': 0x04,
  'connection-refused': 0x05,
  'ttl-expired': 0x06,
  'command-not-supported': 0x07,
  'address-type-not-supported': 0x08,
};

/** The address the server bound for the upstream connection (its local address toward the target). */
export interface BoundAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * SOCKS 4 reply `VN=0 CD DSTPORT DSTIP`: CD 90 (granted) or 91 (rejected or failed); SOCKS 4 has no finer
 * failure codes (92/93 are about identd, which we do not use). `bound` (an IPv4 address) fills
 * DSTPORT/DSTIP: the bound address on success, the requested one on a failed CONNECT (as stunnel
 * 5.68 does); zeros when absent.
 */
export function encodeSocks4Reply(status: SocksStatus, bound?: BoundAddress): Buffer {
  const reply = Buffer.alloc(8);
  reply[1] = status === 'succeeded' ? 90 : 91;
  if (bound !== undefined && isIPv4(bound.address)) {
    reply.writeUInt16BE(bound.port, 2);
    bound.address.split('.').forEach((part, index) => {
      reply[4 + index] = Number(part);
    });
  }
  return reply;
}

/**
 * SOCKS 5 reply `VER REP RSV ATYP BND.ADDR BND.PORT` (RFC 1928 §6). `bound` is the bound address on
 * success and the requested address (IP or domain) on a failed CONNECT, as stunnel 5.68 answers;
 * without it the reply carries 0.0.0.0:0.
 */
export function encodeSocks5Reply(status: SocksStatus, bound?: BoundAddress): Buffer {
  const code = SOCKS5_CODES[status];
  if (bound !== undefined && isIPv6(bound.address)) {
    const reply = Buffer.alloc(22);
    reply.set([5, code, 0, 4]);
    ipv6ToBytes(bound.address).copy(reply, 4);
    reply.writeUInt16BE(bound.port, 20);
    return reply;
  }
  if (bound !== undefined && !isIPv4(bound.address) && bound.address.length > 0 && bound.address.length < 256) {
    const name = Buffer.from(bound.address, 'latin1');
    const reply = Buffer.alloc(7 + name.length);
    reply.set([5, code, 0, 3, name.length]);
    name.copy(reply, 5);
    reply.writeUInt16BE(bound.port, 5 + name.length);
    return reply;
  }
  const reply = Buffer.alloc(10);
  reply.set([5, code, 0, 1]);
  if (bound !== undefined && isIPv4(bound.address)) {
    reply.set(bound.address.split('.').map(Number), 4);
    reply.writeUInt16BE(bound.port, 8);
  }
  return reply;
}

/** SOCKS 5 method selection `VER METHOD` (RFC 1928 §3); 0xff means no acceptable method. */
export function encodeSocks5Method(method: number): Buffer {
  return Buffer.from([5, method]);
}

/** RFC 1929 §2 status reply `VER=1 STATUS`; 0 is success, anything else closes the connection. */
export function encodeSocks5AuthReply(ok: boolean): Buffer {
  return Buffer.from([1, ok ? 0 : 1]);
}
