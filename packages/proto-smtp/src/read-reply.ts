import type { Channel } from '@tunnel/protocol';
import { SmtpError } from './errors.js';
import { parseReplyLine } from './reply.js';

/** Bounds for reading a reply from an untrusted peer. */
export interface ReadReplyOptions {
  /** Longest accepted line in bytes (default 1024; RFC 5321 section 4.5.3.1.5 asks for 512). */
  readonly maxLength?: number;
  /** Most lines in one multi-line reply (default 100). */
  readonly maxLines?: number;
  /** Called with each raw line as soon as it has been read and parsed, e.g. to relay it. */
  readonly onLine?: (line: string) => void | Promise<void>;
}

/** A complete reply: its code and its raw lines. */
export interface Reply {
  readonly code: number;
  readonly lines: readonly string[];
}

/**
 * Reads one complete (possibly multi-line) SMTP reply. Every line must carry
 * the same code (RFC 5321 section 4.2.1). Fails with
 * `ERR_TUNNEL_SMTP_BAD_REPLY` on anything else and with
 * `ERR_TUNNEL_SMTP_TOO_MANY_LINES` past `maxLines`.
 */
export async function readReply(channel: Channel, options: ReadReplyOptions = {}): Promise<Reply> {
  const maxLines = options.maxLines ?? 100;
  const lines: string[] = [];
  let code: number | undefined;
  for (;;) {
    const line = await channel.readLine({ maxLength: options.maxLength ?? 1024 });
    const parsed = parseReplyLine(line);
    if (parsed === undefined) {
      throw new SmtpError(
        'ERR_TUNNEL_SMTP_BAD_REPLY',
        `the SMTP peer sent a line that is not a reply: ${JSON.stringify(line.slice(0, 80))}`,
        {
          line,
        },
      );
    }
    if (code !== undefined && parsed.code !== code) {
      throw new SmtpError(
        'ERR_TUNNEL_SMTP_BAD_REPLY',
        `the SMTP peer changed the reply code from ${code} to ${parsed.code} inside one reply`,
        {
          line,
        },
      );
    }
    code = parsed.code;
    lines.push(line);
    await options.onLine?.(line);
    if (parsed.last) return { code, lines };
    if (lines.length >= maxLines) {
      throw new SmtpError('ERR_TUNNEL_SMTP_TOO_MANY_LINES', `the SMTP peer sent more than ${maxLines} lines in one reply`);
    }
  }
}
