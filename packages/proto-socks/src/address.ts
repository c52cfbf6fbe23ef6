import { isIP, isIPv4 } from 'node:net';

/** The 16 bytes of an IPv6 address in any textual form Node accepts (`::1`, `::ffff:1.2.3.4`, ...). */
export function ipv6ToBytes(address: string): Buffer {
  const bytes = Buffer.alloc(16);
  let text = address;
  // A trailing dotted quad (IPv4-mapped or -compatible) stands for the last two groups (RFC 4291 §2.2, form 3).
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const quad = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${(((quad[0] ?? 0) << 8) | (quad[1] ?? 0)).toString(16)}:${(((quad[2] ?? 0) << 8) | (quad[3] ?? 0)).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined
      ? headGroups
      : [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  for (const [index, group] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2);
  return bytes;
}

/** The canonical (RFC 5952 compressed) text of a 16-byte IPv6 address. */
export function bytesToIpv6(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  // The WHATWG URL parser already implements RFC 5952 compression; borrow it rather than re-deriving the rules.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/**
 * True for addresses that only mean "this host": IPv4 loopback 127.0.0.0/8 and "this network"
 * 0.0.0.0/8 (RFC 1122 §3.2.1.3; connecting to 0.0.0.0 reaches local services on Linux), IPv6 `::1` and `::`,
 * and IPv4-mapped / -compatible IPv6 forms of those (`::ffff:127.0.0.1`).
 */
export function isLocalOnlyAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) {
    const first = Number(address.split('.')[0]);
    return first === 127 || first === 0;
  }
  if (family !== 6) return false;
  const bytes = ipv6ToBytes(address);
  const firstTenZero = bytes.subarray(0, 10).every((byte) => byte === 0);
  const mapped = firstTenZero && bytes[10] === 0xff && bytes[11] === 0xff;
  const compatible = firstTenZero && bytes[10] === 0 && bytes[11] === 0;
  // ::, ::1 and the deprecated IPv4-compatible forms all have a last 32 bits we can check as IPv4 (:: is 0.0.0.0, ::1 is 0.0.0.1).
  if (mapped || compatible) {
    const first = bytes[12];
    return first === 127 || first === 0;
  }
  return false;
}
