/**
 * The PostgreSQL startup packets and one-byte answers of the SSL negotiation,
 * as pure functions (no I/O). Protocol: PostgreSQL "Frontend/Backend
 * Protocol", sections "SSL Session Encryption" and "Message Formats".
 */

/** SSLRequest: Int32 length 8, Int32 code 80877103 (1234 << 16 | 5679). */
export const SSL_REQUEST: Buffer = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** GSSENCRequest: Int32 length 8, Int32 code 80877104 (1234 << 16 | 5680). */
export const GSSENC_REQUEST: Buffer = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30]);

/** Server answer to SSLRequest: go on with the TLS handshake. */
export const SSL_ACCEPTED = 0x53; // 'S'

/** Server answer to SSLRequest or GSSENCRequest: not supported, go on in plaintext. */
export const SSL_REFUSED = 0x4e; // 'N'

/** The protocol number of a version 3.0 StartupMessage. */
const PROTOCOL_3_0 = 0x0003_0000;

/** Request codes that share the StartupMessage framing (Int32 length, Int32 code). */
const CANCEL_REQUEST_CODE = 80877102;

/** What the first 8 bytes of a frontend connection are. */
export type StartupPacketKind = 'ssl' | 'gssenc' | 'cancel' | 'startup' | 'unknown';

/**
 * Classifies the first 8 bytes a frontend sends: the length word and the
 * request code (or protocol version) that every startup-phase packet begins with.
 */
export function classifyStartupPacket(head: Uint8Array): StartupPacketKind {
  if (head.length < 8) return 'unknown';
  const bytes = Buffer.from(head.buffer, head.byteOffset, 8);
  if (bytes.equals(SSL_REQUEST)) return 'ssl';
  if (bytes.equals(GSSENC_REQUEST)) return 'gssenc';
  const length = bytes.readUInt32BE(0);
  const code = bytes.readUInt32BE(4);
  if (code === CANCEL_REQUEST_CODE && length === 16) return 'cancel';
  // A StartupMessage carries at least "user\0<name>\0\0" after the 8-byte head.
  if (code === PROTOCOL_3_0 && length > 8 && length <= 10_000) return 'startup';
  return 'unknown';
}

/** The server's one-byte answer to SSLRequest. */
export type SslAnswer = 'accepted' | 'refused' | 'other';

/** Reads the answer byte: 'S' accepted, 'N' refused, anything else (an old server's 'E' ErrorResponse, garbage) other. */
export function parseSslAnswer(byte: number): SslAnswer {
  if (byte === SSL_ACCEPTED) return 'accepted';
  if (byte === SSL_REFUSED) return 'refused';
  return 'other';
}

/**
 * Builds a backend ErrorResponse ('E') with severity FATAL, an SQLSTATE code
 * and a message: the one message a server may send in answer to a
 * StartupMessage before authentication, which psql prints to its user.
 */
export function buildFatalError(sqlstate: string, message: string): Buffer {
  const fields = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', sqlstate), field('M', message), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head[0] = 0x45; // 'E'
  head.writeUInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

function field(type: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(value, 'utf8'), Buffer.from([0])]);
}
