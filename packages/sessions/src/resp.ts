import { SessionsError } from './errors.js';

/**
 * RESP2, the Redis serialization protocol (redis.io/docs/reference/protocol-spec):
 * enough of it for the commands a session cache sends. Pure functions, no I/O.
 */

/** A decoded reply. Errors (`-ERR …`) come back as {@link RespErrorReply}, not thrown: the caller decides. */
export type RespValue = string | number | Buffer | null | RespErrorReply | RespValue[];

/** A `-` reply. */
export interface RespErrorReply {
  readonly error: string;
}

/** Limits on what a reply may hold; a server that exceeds them is treated as broken. */
export interface RespLimits {
  /** Largest bulk string (default 1 MiB). */
  readonly maxBulkBytes: number;
  /** Most array elements (default 1024). */
  readonly maxArrayLength: number;
  /** Deepest array nesting (default 4). */
  readonly maxDepth: number;
  /** Longest simple line (`+`, `-`, `:`, and the length lines), default 4096. */
  readonly maxLineBytes: number;
}

export const DEFAULT_RESP_LIMITS: RespLimits = { maxBulkBytes: 1024 * 1024, maxArrayLength: 1024, maxDepth: 4, maxLineBytes: 4096 };

/** Encodes one command as a RESP array of bulk strings (binary safe). */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

function malformed(message: string): SessionsError {
  return new SessionsError('ERR_TUNNEL_SESSIONS_RESP_MALFORMED', `malformed Redis reply: ${message}`);
}

/** Reads a CRLF-terminated line from `offset`; undefined when it is not complete yet. */
function line(buffer: Buffer, offset: number, limits: RespLimits): { text: string; next: number } | undefined {
  const end = buffer.indexOf('\r\n', offset, 'latin1');
  if (end === -1) {
    if (buffer.length - offset > limits.maxLineBytes) throw malformed('line too long');
    return undefined;
  }
  if (end - offset > limits.maxLineBytes) throw malformed('line too long');
  return { text: buffer.toString('utf8', offset, end), next: end + 2 };
}

function integer(text: string): number {
  if (!/^-?\d{1,15}$/.test(text)) throw malformed(`not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

/**
 * Parses one reply starting at `offset`. Returns the value and where the next
 * reply starts, or undefined when more bytes are needed. Throws
 * `ERR_TUNNEL_SESSIONS_RESP_MALFORMED` on a protocol violation or a reply over the limits.
 */
export function parseReply(
  buffer: Buffer,
  offset = 0,
  limits: RespLimits = DEFAULT_RESP_LIMITS,
  depth = 0,
): { value: RespValue; next: number } | undefined {
  if (offset >= buffer.length) return undefined;
  const type = String.fromCharCode(buffer[offset] as number);
  const header = line(buffer, offset + 1, limits);
  if (header === undefined) return undefined;
  switch (type) {
    case '+':
      return { value: header.text, next: header.next };
    case '-':
      return { value: { error: header.text }, next: header.next };
    case ':':
      return { value: integer(header.text), next: header.next };
    case '$': {
      const length = integer(header.text);
      if (length === -1) return { value: null, next: header.next };
      if (length < 0 || length > limits.maxBulkBytes) throw malformed(`bulk length ${length}`);
      const end = header.next + length;
      if (buffer.length < end + 2) return undefined;
      if (buffer[end] !== 13 || buffer[end + 1] !== 10) throw malformed('bulk string not followed by CRLF');
      return { value: Buffer.from(buffer.subarray(header.next, end)), next: end + 2 };
    }
    case '*': {
      const count = integer(header.text);
      if (count === -1) return { value: null, next: header.next };
      if (count < 0 || count > limits.maxArrayLength) throw malformed(`array length ${count}`);
      if (depth + 1 > limits.maxDepth) throw malformed('arrays nested too deep');
      const items: RespValue[] = [];
      let next = header.next;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buffer, next, limits, depth + 1);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw malformed(`unknown type byte 0x${(buffer[offset] as number).toString(16).padStart(2, '0')}`);
  }
}

/** True for a `-` reply. */
export function isErrorReply(value: RespValue): value is RespErrorReply {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
