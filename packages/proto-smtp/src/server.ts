import { borrow, type Io } from './channel.js';
import { SmtpError } from './errors.js';
import { rewriteGreeting } from './greeting.js';
import { readReply } from './read-reply.js';

/** Options of `startTlsServer`. */
export interface StartTlsServerOptions {
  /** The accepted SMTP client, which will do STARTTLS. */
  readonly client: Io;
  /** The plaintext connection to the real SMTP server, whose greeting is relayed. */
  readonly server: Io;
  /** Longest accepted line from either side (default 1024). */
  readonly maxLineLength?: number;
  /** Most lines in the server's greeting (default 100). */
  readonly maxLines?: number;
  /** Aborts the dialogue (only used for Duplex arguments; a Channel carries its own signal). */
  readonly signal?: AbortSignal;
}

/**
 * Server side of RFC 3207, stunnel style: relays the real server's 220
 * greeting (first line marked `stunnel`), answers the client's EHLO itself
 * with `250-<domain>` / `250 STARTTLS`, and accepts `STARTTLS` with
 * `220 Go ahead`. When it resolves, start TLS toward the client. The real
 * server has seen only its own greeting; the client's EHLO inside TLS goes
 * to it next.
 *
 * Fails with `ERR_TUNNEL_SMTP_REJECTED` when the server does not greet with
 * 220, `ERR_TUNNEL_SMTP_UNEXPECTED_COMMAND` when the client sends anything but
 * EHLO then STARTTLS, and (for a Duplex client) `ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION`
 * when the client sent bytes after STARTTLS.
 */
export async function startTlsServer(options: StartTlsServerOptions): Promise<void> {
  const client = borrow(options.client, options.signal);
  const server = borrow(options.server, options.signal);
  const maxLength = options.maxLineLength ?? 1024;
  let first: { line: string; domain: string } | undefined;
  const greeting = await readReply(server.channel, {
    maxLength,
    maxLines: options.maxLines ?? 100,
    onLine: async (line) => {
      if (first === undefined) {
        if (!line.startsWith('220')) return;
        first = rewriteGreeting(line);
        await client.channel.writeLine(first.line);
      } else {
        await client.channel.writeLine(line);
      }
    },
  });
  if (greeting.code !== 220 || first === undefined) {
    throw new SmtpError('ERR_TUNNEL_SMTP_REJECTED', `the SMTP server greeted with ${greeting.code} instead of 220`, {
      line: greeting.lines[0],
    });
  }
  const ehlo = await client.channel.readLine({ maxLength });
  if (!/^EHLO /i.test(ehlo)) {
    throw new SmtpError('ERR_TUNNEL_SMTP_UNEXPECTED_COMMAND', 'the SMTP client did not send EHLO first', { line: ehlo });
  }
  await client.channel.write(`250-${first.domain}\r\n250 STARTTLS\r\n`);
  const starttls = await client.channel.readLine({ maxLength });
  if (!/^STARTTLS/i.test(starttls)) {
    throw new SmtpError('ERR_TUNNEL_SMTP_UNEXPECTED_COMMAND', 'the SMTP client did not send STARTTLS after EHLO', { line: starttls });
  }
  await client.channel.writeLine('220 Go ahead');
  server.release(false);
  client.release(true);
}
