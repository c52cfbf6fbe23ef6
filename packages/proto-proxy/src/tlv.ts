/**
 * PROXY v2 TLVs about the client's TLS connection (haproxy's proxy-protocol.txt §2.2.1–§2.2.5): ALPN,
 * AUTHORITY (the SNI host name) and the SSL TLV with its client flags, verify result and version / CN /
 * cipher sub-TLVs. Pure encoders and decoders, no I/O.
 */
import { proxyError } from './errors.js';

/** One TLV: a type byte and its value (at most 65535 bytes). */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Buffer;
}

/** TLV type numbers (§2.2). */
export const PP2_TYPE = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  SSL: 0x20,
} as const;

/** Sub-TLV types inside PP2_TYPE_SSL (§2.2.5). */
export const PP2_SUBTYPE_SSL = {
  VERSION: 0x21,
  CN: 0x22,
  CIPHER: 0x23,
  SIG_ALG: 0x24,
  KEY_ALG: 0x25,
} as const;

/** Bits of the SSL TLV's `client` field (§2.2.5). */
export const PP2_CLIENT = {
  /** The client connected over TLS. */
  SSL: 0x01,
  /** The client sent a certificate over this connection. */
  CERT_CONN: 0x02,
  /** The client sent a certificate at least once over this TLS session (a resumed session keeps it). */
  CERT_SESS: 0x04,
} as const;

/** What a TLS-terminating sender knew about the client connection, as carried by the TLVs. */
export interface ProxyTlsTlvs {
  /** PP2_TYPE_ALPN: the negotiated application protocol. */
  readonly alpn?: string | undefined;
  /** PP2_TYPE_AUTHORITY: the host name the client asked for (SNI). */
  readonly authority?: string | undefined;
  /** PP2_TYPE_SSL. */
  readonly ssl?:
    | {
        /** Bit field of {@link PP2_CLIENT}. */
        readonly client: number;
        /** 0 when the client sent a certificate and it verified; non-zero otherwise. */
        readonly verify: number;
        readonly version?: string | undefined;
        readonly cn?: string | undefined;
        readonly cipher?: string | undefined;
        readonly sigAlg?: string | undefined;
        readonly keyAlg?: string | undefined;
      }
    | undefined;
}

/** AUTHORITY is a host name: 255 bytes is the DNS limit (RFC 1035 §2.3.4), and haproxy's. */
const MAX_AUTHORITY = 255;
/** Longest text value we write in a sub-TLV; a CN is at most 64 characters (RFC 5280 ub-common-name) anyway. */
const MAX_TEXT = 255;

function tlv(type: number, value: Buffer): Buffer {
  if (value.length > 0xffff)
    throw proxyError('ERR_TUNNEL_PROXY_HEADER_TOO_LONG', `a PROXY v2 TLV of type 0x${type.toString(16)} is over 65535 bytes`);
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

function text(value: string, limit: number): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return bytes.length > limit ? bytes.subarray(0, limit) : bytes;
}

/** Encodes the TLS TLVs (ALPN, AUTHORITY, SSL with its sub-TLVs) as TLV records ready to append to a v2 header. */
export function encodeTlsTlvs(info: ProxyTlsTlvs): ProxyTlv[] {
  const out: ProxyTlv[] = [];
  if (info.alpn !== undefined && info.alpn !== '') out.push({ type: PP2_TYPE.ALPN, value: text(info.alpn, MAX_TEXT) });
  if (info.authority !== undefined && info.authority !== '')
    out.push({ type: PP2_TYPE.AUTHORITY, value: text(info.authority, MAX_AUTHORITY) });
  const ssl = info.ssl;
  if (ssl !== undefined) {
    const head = Buffer.alloc(5);
    head[0] = ssl.client & 0xff;
    head.writeUInt32BE(ssl.verify >>> 0, 1);
    const subs: Buffer[] = [head];
    const sub = (type: number, value: string | undefined) => {
      if (value !== undefined && value !== '') subs.push(tlv(type, text(value, MAX_TEXT)));
    };
    sub(PP2_SUBTYPE_SSL.VERSION, ssl.version);
    sub(PP2_SUBTYPE_SSL.CN, ssl.cn);
    sub(PP2_SUBTYPE_SSL.CIPHER, ssl.cipher);
    sub(PP2_SUBTYPE_SSL.SIG_ALG, ssl.sigAlg);
    sub(PP2_SUBTYPE_SSL.KEY_ALG, ssl.keyAlg);
    out.push({ type: PP2_TYPE.SSL, value: Buffer.concat(subs) });
  }
  return out;
}

/** Serialises TLV records (type, 16-bit length, value). */
export function serializeTlvs(tlvs: readonly ProxyTlv[]): Buffer {
  return Buffer.concat(tlvs.map((record) => tlv(record.type, record.value)));
}

function bad(message: string): never {
  throw proxyError('ERR_TUNNEL_PROXY_BAD_TLV', message);
}

/**
 * Decodes the TLS TLVs of a parsed v2 header; other TLVs are left to the caller. Returns undefined when none
 * is present.
 *
 * @throws ProtocolError `ERR_TUNNEL_PROXY_BAD_TLV` for an SSL TLV shorter than its 5 fixed bytes, a sub-TLV
 *   that runs past it, or a repeated TLS TLV.
 */
export function decodeTlsTlvs(tlvs: readonly ProxyTlv[]): ProxyTlsTlvs | undefined {
  let alpn: string | undefined;
  let authority: string | undefined;
  let ssl: ProxyTlsTlvs['ssl'];
  const seen = new Set<number>();
  for (const record of tlvs) {
    if (record.type !== PP2_TYPE.ALPN && record.type !== PP2_TYPE.AUTHORITY && record.type !== PP2_TYPE.SSL) continue;
    if (seen.has(record.type)) bad(`the PROXY v2 header carries TLV 0x${record.type.toString(16)} twice`);
    seen.add(record.type);
    if (record.type === PP2_TYPE.ALPN) alpn = record.value.toString('latin1');
    else if (record.type === PP2_TYPE.AUTHORITY) authority = record.value.toString('utf8');
    else ssl = decodeSsl(record.value);
  }
  if (seen.size === 0) return undefined;
  return { alpn, authority, ssl };
}

function decodeSsl(value: Buffer): NonNullable<ProxyTlsTlvs['ssl']> {
  if (value.length < 5) bad(`the PROXY v2 SSL TLV is ${value.length} bytes, shorter than its 5 fixed bytes`);
  const fields: Record<number, string> = {};
  for (let offset = 5; offset < value.length; ) {
    if (offset + 3 > value.length) bad('the PROXY v2 SSL TLV ends inside a sub-TLV');
    const length = value.readUInt16BE(offset + 1);
    if (offset + 3 + length > value.length) bad('a PROXY v2 SSL sub-TLV runs past the SSL TLV');
    const type = value[offset] ?? 0;
    if (fields[type] !== undefined) bad(`the PROXY v2 SSL TLV carries sub-TLV 0x${type.toString(16)} twice`);
    fields[type] = value.toString('utf8', offset + 3, offset + 3 + length);
    offset += 3 + length;
  }
  return {
    client: value[0] ?? 0,
    verify: value.readUInt32BE(1),
    version: fields[PP2_SUBTYPE_SSL.VERSION],
    cn: fields[PP2_SUBTYPE_SSL.CN],
    cipher: fields[PP2_SUBTYPE_SSL.CIPHER],
    sigAlg: fields[PP2_SUBTYPE_SSL.SIG_ALG],
    keyAlg: fields[PP2_SUBTYPE_SSL.KEY_ALG],
  };
}
