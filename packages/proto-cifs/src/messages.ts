/**
 * The NetBIOS session packets of Samba's old "SSL extension", as pure
 * functions. Framing: RFC 1002 section 4.3.1 (Type, Flags, 16-bit Length).
 * The extension: a server that requires SSL answers the session request with
 * a NEGATIVE SESSION RESPONSE whose error code is 0x8E (not an RFC 1002
 * code); both sides then start SSL on the same TCP connection.
 */

/** RFC 1002 4.3.2 SESSION REQUEST packet type. */
export const SESSION_REQUEST = 0x81;

/** RFC 1002 4.3.4 NEGATIVE SESSION RESPONSE packet type. */
export const NEGATIVE_SESSION_RESPONSE = 0x83;

/** Samba's error code in a negative response meaning "use SSL". */
export const ERROR_USE_SSL = 0x8e;

/** RFC 1002 error code 0x81 "Not listening for calling name", stunnel's answer to anything but a session request. */
export const ERROR_NOT_LISTENING_FOR_CALLING_NAME = 0x81;

/** What stunnel's client sends: a SESSION REQUEST with an empty body (no called or calling name). */
export const EMPTY_SESSION_REQUEST: Buffer = Buffer.from([SESSION_REQUEST, 0, 0, 0]);

/** The negative response with error 0x8E: "start SSL now". */
export const RESPONSE_USE_SSL: Buffer = Buffer.from([NEGATIVE_SESSION_RESPONSE, 0, 0, 1, ERROR_USE_SSL]);

/** The negative response stunnel sends to a packet that is not a session request. */
export const RESPONSE_REFUSED: Buffer = Buffer.from([NEGATIVE_SESSION_RESPONSE, 0, 0, 1, ERROR_NOT_LISTENING_FOR_CALLING_NAME]);

/** The largest request body the server side accepts: stunnel reads into a 128-byte buffer, header included. */
export const MAX_REQUEST_BODY = 124;

/** A NetBIOS session packet header. */
export interface PacketHeader {
  readonly type: number;
  readonly flags: number;
  /** The body length from bytes 2-3; like stunnel, the length-extension bit in `flags` is not used. */
  readonly length: number;
}

/** Parses the 4-byte header of a NetBIOS session packet. */
export function parseHeader(bytes: Uint8Array): PacketHeader {
  if (bytes.length < 4) throw new RangeError('a NetBIOS session header is 4 bytes');
  return { type: bytes[0]!, flags: bytes[1]!, length: (bytes[2]! << 8) | bytes[3]! };
}

/** How a server answered the empty session request. */
export type SessionAnswer = 'use-ssl' | 'not-negative-response' | 'bad-length' | 'no-ssl';

/** Judges the header of the server's answer (the error byte is checked with {@link judgeErrorCode}). */
export function judgeAnswerHeader(header: PacketHeader): SessionAnswer {
  if (header.type !== NEGATIVE_SESSION_RESPONSE) return 'not-negative-response';
  if (header.length !== 1) return 'bad-length';
  return 'use-ssl';
}

/** Judges the one error byte of a negative response. */
export function judgeErrorCode(code: number): SessionAnswer {
  return code === ERROR_USE_SSL ? 'use-ssl' : 'no-ssl';
}
