import { NntpError } from './errors.js';

/**
 * NNTP response lines (RFC 3977 section 3.2): a three-digit status code,
 * then a space and free text (the text may be absent).
 */
export interface NntpReply {
  readonly code: number;
  readonly text: string;
}

/** RFC 3977 section 3.1: a response line is at most 512 octets including the CRLF. */
export const MAX_REPLY_LENGTH = 512;

/** RFC 3977 section 5.1.1: 200 service available, posting allowed. */
export const GREETING_POSTING_ALLOWED = 200;
/** RFC 3977 section 5.1.1: 201 service available, posting prohibited. */
export const GREETING_NO_POSTING = 201;
/** RFC 4642 section 2.2.1: 382 continue with TLS negotiation. */
export const CONTINUE_WITH_TLS = 382;

const REPLY = /^([1-5][0-9][0-9])(?: (.*))?$/s;

/** Parses one response line (without its CRLF). Fails with `ERR_TUNNEL_NNTP_BAD_REPLY` on anything else. */
export function parseReply(line: string): NntpReply {
  const match = REPLY.exec(line);
  if (match === null) {
    throw new NntpError('ERR_TUNNEL_NNTP_BAD_REPLY', `the NNTP server sent a line that is not a response: "${printable(line)}"`, {
      reply: printable(line),
    });
  }
  return { code: Number(match[1]), text: match[2] ?? '' };
}

/** True for the two greetings that mean "service available" (RFC 3977 5.1.1): stunnel's nntp client accepts only these. */
export function isServiceAvailable(reply: NntpReply): boolean {
  return reply.code === GREETING_POSTING_ALLOWED || reply.code === GREETING_NO_POSTING;
}

/** Escapes control characters and cuts long text, so a hostile reply cannot forge log lines. */
export function printable(line: string, max = 200): string {
  const cut = line.length > max ? `${line.slice(0, max)}…` : line;
  let out = '';
  for (const char of cut) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  }
  return out;
}
