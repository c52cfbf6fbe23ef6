import { borrow, type Io } from './channel.js';
import { SmtpError } from './errors.js';
import { readReply } from './read-reply.js';
import { advertisesStartTls } from './reply.js';

/** Options of `startTlsClient`. */
export interface StartTlsClientOptions {
  /** The name sent with EHLO (stunnel: `protocolHost`, default `localhost`). */
  readonly ehloName?: string;
  /** Called with each greeting line as it arrives, so it can be relayed to the local client as stunnel does. */
  readonly onGreetingLine?: (line: string) => void | Promise<void>;
  /** Longest accepted reply line (default 1024). */
  readonly maxLineLength?: number;
  /** Most lines in one reply (default 100). */
  readonly maxLines?: number;
  /** Aborts the dialogue (only used when `server` is a Duplex; a Channel carries its own signal). */
  readonly signal?: AbortSignal;
}

/** What the server said during the dialogue. */
export interface StartTlsClientResult {
  readonly greeting: readonly string[];
  readonly ehlo: readonly string[];
  /** Whether the EHLO reply listed STARTTLS. stunnel sends STARTTLS either way; so does this. */
  readonly startTlsAdvertised: boolean;
}

/**
 * Client side of RFC 3207 on the connection to an SMTP server: reads the
 * (multi-line) 220 greeting, sends `EHLO <name>`, expects 250, sends
 * `STARTTLS`, expects 220. When it resolves, start TLS on the same socket.
 *
 * Fails with `ERR_TUNNEL_SMTP_REJECTED` when the greeting is not 220 or EHLO
 * is not answered with 250, `ERR_TUNNEL_SMTP_NO_STARTTLS` when STARTTLS is
 * not answered with 220 (e.g. 454), `ERR_TUNNEL_SMTP_BAD_REPLY` /
 * `ERR_TUNNEL_SMTP_TOO_MANY_LINES` on malformed replies, and (for a Duplex)
 * `ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION` when the server sent bytes after its
 * 220 to STARTTLS.
 */
export async function startTlsClient(server: Io, options: StartTlsClientOptions = {}): Promise<StartTlsClientResult> {
  const { channel, release } = borrow(server, options.signal);
  const bounds = { maxLength: options.maxLineLength ?? 1024, maxLines: options.maxLines ?? 100 };
  // stunnel relays every greeting line to the local client before looking at it.
  const greeting = await readReply(channel, options.onGreetingLine === undefined ? bounds : { ...bounds, onLine: options.onGreetingLine });
  if (greeting.code !== 220) {
    throw new SmtpError('ERR_TUNNEL_SMTP_REJECTED', `the SMTP server greeted with ${greeting.code} instead of 220`, {
      line: greeting.lines[0],
    });
  }
  await channel.writeLine(`EHLO ${options.ehloName ?? 'localhost'}`);
  const ehlo = await readReply(channel, bounds);
  if (ehlo.code !== 250) {
    throw new SmtpError('ERR_TUNNEL_SMTP_REJECTED', `the SMTP server answered EHLO with ${ehlo.code} instead of 250`, {
      line: ehlo.lines[0],
    });
  }
  await channel.writeLine('STARTTLS');
  const reply = await readReply(channel, bounds);
  if (reply.code !== 220) {
    throw new SmtpError('ERR_TUNNEL_SMTP_NO_STARTTLS', `the SMTP server refused STARTTLS with ${reply.code}`, { line: reply.lines[0] });
  }
  release(true);
  return { greeting: greeting.lines, ehlo: ehlo.lines, startTlsAdvertised: advertisesStartTls(ehlo.lines) };
}
