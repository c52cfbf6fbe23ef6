/**
 * Pure SMTP reply-line parsing (RFC 5321 section 4.2): a three-digit code,
 * then `-` on every line but the last of a multi-line reply, or a space (or
 * nothing) on the last line.
 */

/** One parsed reply line. */
export interface ReplyLine {
  /** The three-digit reply code, e.g. 250. */
  readonly code: number;
  /** True on the last line of a reply (separator is a space, or the line is the bare code). */
  readonly last: boolean;
  /** The text after the separator. */
  readonly text: string;
}

const REPLY_LINE = /^([2-5][0-9][0-9])(?:([ -])(.*))?$/s;

/** Parses one reply line (without its CRLF). Returns `undefined` when the line is not an SMTP reply. */
export function parseReplyLine(line: string): ReplyLine | undefined {
  const match = REPLY_LINE.exec(line);
  if (match === null) return undefined;
  return { code: Number(match[1]), last: match[2] !== '-', text: match[3] ?? '' };
}

/**
 * Whether the EHLO reply lines advertise the STARTTLS keyword (RFC 3207
 * section 4). The first line is the server's greeting name, not a keyword.
 */
export function advertisesStartTls(lines: readonly string[]): boolean {
  return lines.slice(1).some((line) => /^STARTTLS(?:\s|$)/i.test(parseReplyLine(line)?.text ?? ''));
}
