/**
 * A tiny BER encoder/decoder (X.690) for exactly the LDAP messages StartTLS needs (RFC 4511 §4.12,
 * §4.14): ExtendedRequest and ExtendedResponse inside an LDAPMessage. Definite lengths only, bounded.
 */
import { ldapError } from './errors.js';

/** The StartTLS extended operation OID (RFC 4511 §4.14.1). */
export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
/** Longest LDAPMessage accepted during the StartTLS exchange; a response is a few dozen bytes. */
export const MAX_MESSAGE = 16 * 1024;

const TAG_SEQUENCE = 0x30;
const TAG_INTEGER = 0x02;
const TAG_ENUMERATED = 0x0a;
const TAG_OCTET_STRING = 0x04;
const TAG_EXTENDED_REQUEST = 0x77; // [APPLICATION 23] constructed
const TAG_EXTENDED_RESPONSE = 0x78; // [APPLICATION 24] constructed
const TAG_REQUEST_NAME = 0x80; // [0] primitive
const TAG_REQUEST_VALUE = 0x81; // [1] primitive
const TAG_REFERRAL = 0xa3; // [3] constructed
const TAG_RESPONSE_NAME = 0x8a; // [10] primitive
const TAG_RESPONSE_VALUE = 0x8b; // [11] primitive

export type ParseResult<T> =
  | { readonly done: false; readonly needed: number }
  | { readonly done: true; readonly value: T; readonly length: number };

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest >>>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(value.length), value]);
}

function integer(value: number): Buffer {
  // Minimal two's-complement big-endian encoding of a non-negative message ID (RFC 4511: 0..2^31-1).
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

/** An LDAPMessage carrying an ExtendedRequest for `oid` (StartTLS by default). */
export function encodeExtendedRequest(messageId: number, oid = STARTTLS_OID, value?: Buffer): Buffer {
  const parts = [tlv(TAG_REQUEST_NAME, Buffer.from(oid, 'latin1'))];
  if (value !== undefined) parts.push(tlv(TAG_REQUEST_VALUE, value));
  return tlv(TAG_SEQUENCE, Buffer.concat([tlv(TAG_INTEGER, integer(messageId)), tlv(TAG_EXTENDED_REQUEST, Buffer.concat(parts))]));
}

/** What an ExtendedResponse says. */
export interface ExtendedResponse {
  readonly messageId: number;
  /** RFC 4511 §4.1.9: 0 is success; 2 protocolError is what servers answer when StartTLS is not available. */
  readonly resultCode: number;
  readonly matchedDN: string;
  readonly diagnosticMessage: string;
  readonly responseName?: string | undefined;
}

/** An LDAPMessage carrying an ExtendedResponse (server side of StartTLS). */
export function encodeExtendedResponse(response: ExtendedResponse): Buffer {
  const parts = [
    tlv(TAG_ENUMERATED, integer(response.resultCode)),
    tlv(TAG_OCTET_STRING, Buffer.from(response.matchedDN, 'utf8')),
    tlv(TAG_OCTET_STRING, Buffer.from(response.diagnosticMessage, 'utf8')),
  ];
  if (response.responseName !== undefined) parts.push(tlv(TAG_RESPONSE_NAME, Buffer.from(response.responseName, 'latin1')));
  return tlv(
    TAG_SEQUENCE,
    Buffer.concat([tlv(TAG_INTEGER, integer(response.messageId)), tlv(TAG_EXTENDED_RESPONSE, Buffer.concat(parts))]),
  );
}

interface Element {
  readonly tag: number;
  readonly value: Buffer;
  /** Offset just past the element. */
  readonly end: number;
}

function bad(message: string): never {
  throw ldapError('ERR_TUNNEL_LDAP_BAD_MESSAGE', message);
}

/** Reads one element at `offset` of a complete buffer. */
function element(bytes: Buffer, offset: number): Element {
  if (offset + 2 > bytes.length) bad('an LDAP element is cut short');
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) bad('multi-byte BER tags are not used by LDAP StartTLS');
  const head = header(bytes.subarray(offset));
  if (head === undefined || offset + head.headerLength + head.length > bytes.length) bad('an LDAP element runs past its container');
  const start = offset + head.headerLength;
  return { tag, value: bytes.subarray(start, start + head.length), end: start + head.length };
}

/** Decodes tag+length at the start of `bytes`: undefined when more bytes are needed. */
function header(bytes: Buffer): { headerLength: number; length: number } | undefined {
  if (bytes.length < 2) return undefined;
  const first = bytes[1] as number;
  if (first < 0x80) return { headerLength: 2, length: first };
  const count = first & 0x7f;
  if (count === 0) bad('indefinite BER lengths are not allowed in LDAP (RFC 4511 §5.1)');
  if (count > 3) throw ldapError('ERR_TUNNEL_LDAP_TOO_LONG', `an LDAP element announces a ${count}-byte length`);
  if (bytes.length < 2 + count) return undefined;
  let length = 0;
  for (let i = 0; i < count; i += 1) length = length * 256 + (bytes[2 + i] as number);
  return { headerLength: 2 + count, length };
}

function unsigned(value: Buffer, what: string): number {
  if (value.length === 0 || value.length > 4 || ((value[0] as number) & 0x80) !== 0) bad(`the ${what} is not a small non-negative integer`);
  return value.reduce((total, byte) => total * 256 + byte, 0);
}

/**
 * Parses one LDAPMessage holding an ExtendedResponse. Returns `{ done: false, needed }` until the
 * whole message is there (never asking past it); throws `ERR_TUNNEL_LDAP_BAD_MESSAGE` for anything
 * else and `ERR_TUNNEL_LDAP_TOO_LONG` past `MAX_MESSAGE`.
 */
export function parseExtendedResponse(bytes: Buffer): ParseResult<ExtendedResponse> {
  if (bytes.length >= 1 && bytes[0] !== TAG_SEQUENCE)
    bad(`the server did not send an LDAPMessage (first byte 0x${bytes[0]?.toString(16)})`);
  const head = header(bytes);
  if (head === undefined)
    return { done: false, needed: bytes.length < 2 ? 2 - bytes.length : 2 + ((bytes[1] as number) & 0x7f) - bytes.length };
  if (head.length > MAX_MESSAGE)
    throw ldapError('ERR_TUNNEL_LDAP_TOO_LONG', `the LDAP message is ${head.length} bytes, more than ${MAX_MESSAGE}`);
  const total = head.headerLength + head.length;
  if (bytes.length < total) return { done: false, needed: total - bytes.length };
  const message = bytes.subarray(head.headerLength, total);
  const id = element(message, 0);
  if (id.tag !== TAG_INTEGER) bad('the LDAPMessage does not start with a messageID');
  const op = element(message, id.end);
  if (op.tag !== TAG_EXTENDED_RESPONSE)
    bad(`the server answered with LDAP operation tag 0x${op.tag.toString(16)}, not an ExtendedResponse`);
  const code = element(op.value, 0);
  if (code.tag !== TAG_ENUMERATED) bad('the ExtendedResponse has no resultCode');
  const dn = element(op.value, code.end);
  const diagnostic = element(op.value, dn.end);
  if (dn.tag !== TAG_OCTET_STRING || diagnostic.tag !== TAG_OCTET_STRING) bad('the ExtendedResponse has no matchedDN / diagnosticMessage');
  let responseName: string | undefined;
  for (let offset = diagnostic.end; offset < op.value.length; ) {
    const optional = element(op.value, offset);
    if (optional.tag === TAG_RESPONSE_NAME) responseName = optional.value.toString('latin1');
    else if (optional.tag !== TAG_REFERRAL && optional.tag !== TAG_RESPONSE_VALUE)
      bad(`unexpected element 0x${optional.tag.toString(16)} in the ExtendedResponse`);
    offset = optional.end;
  }
  return {
    done: true,
    value: {
      messageId: unsigned(id.value, 'messageID'),
      resultCode: unsigned(code.value, 'resultCode'),
      matchedDN: dn.value.toString('utf8'),
      diagnosticMessage: diagnostic.value.toString('utf8'),
      responseName,
    },
    length: total,
  };
}

/** What a client's ExtendedRequest asks for (server side of StartTLS). */
export interface ExtendedRequest {
  readonly messageId: number;
  readonly requestName: string;
}

/** Parses one LDAPMessage holding an ExtendedRequest; any other operation is `ERR_TUNNEL_LDAP_NOT_STARTTLS`. */
export function parseExtendedRequest(bytes: Buffer): ParseResult<ExtendedRequest> {
  if (bytes.length >= 1 && bytes[0] !== TAG_SEQUENCE)
    bad(`the client did not send an LDAPMessage (first byte 0x${bytes[0]?.toString(16)})`);
  const head = header(bytes);
  if (head === undefined)
    return { done: false, needed: bytes.length < 2 ? 2 - bytes.length : 2 + ((bytes[1] as number) & 0x7f) - bytes.length };
  if (head.length > MAX_MESSAGE)
    throw ldapError('ERR_TUNNEL_LDAP_TOO_LONG', `the LDAP message is ${head.length} bytes, more than ${MAX_MESSAGE}`);
  const total = head.headerLength + head.length;
  if (bytes.length < total) return { done: false, needed: total - bytes.length };
  const message = bytes.subarray(head.headerLength, total);
  const id = element(message, 0);
  if (id.tag !== TAG_INTEGER) bad('the LDAPMessage does not start with a messageID');
  const op = element(message, id.end);
  if (op.tag !== TAG_EXTENDED_REQUEST) {
    throw ldapError('ERR_TUNNEL_LDAP_NOT_STARTTLS', `the client sent LDAP operation tag 0x${op.tag.toString(16)} before StartTLS`);
  }
  const name = element(op.value, 0);
  if (name.tag !== TAG_REQUEST_NAME) bad('the ExtendedRequest has no requestName');
  return { done: true, value: { messageId: unsigned(id.value, 'messageID'), requestName: name.value.toString('latin1') }, length: total };
}
