import type { Duplex } from 'node:stream';
import type { Channel } from '@tunnel/protocol';
import { asChannel } from './channel.js';
import { NntpError } from './errors.js';
import { CONTINUE_WITH_TLS, isServiceAvailable, MAX_REPLY_LENGTH, parseReply, printable } from './reply.js';

/** Options of {@link startTlsClient}. */
export interface StartTlsClientOptions {
  /** Called with the server's greeting line before STARTTLS is sent; stunnel relays it to the local client. */
  readonly onGreeting?: (line: string) => void | Promise<void>;
  /** The longest response line accepted, CR included (default 512, RFC 3977 section 3.1). */
  readonly maxLineLength?: number;
  /** Aborts the dialogue. */
  readonly signal?: AbortSignal;
}

/** What the server said during the dialogue. */
export interface StartTlsClientResult {
  /** The greeting line, as relayed. */
  readonly greeting: string;
  /** The 382 line answering STARTTLS. */
  readonly reply: string;
}

/**
 * The client side of NNTP STARTTLS (RFC 4642), as stunnel's `protocol = nntp`
 * client does it: read the greeting (200 or 201), hand it on, send
 * `STARTTLS`, expect 382. On return the stream is ready for
 * `tls.connect({ socket })`.
 *
 * Fails with `ERR_TUNNEL_NNTP_BAD_GREETING` (e.g. 400 or 502),
 * `ERR_TUNNEL_NNTP_NO_STARTTLS` (any reply but 382, e.g. 580 or 502),
 * `ERR_TUNNEL_NNTP_BAD_REPLY` (not a response line),
 * `ERR_TUNNEL_NNTP_PLAINTEXT_AFTER_STARTTLS` (bytes after the 382 line:
 * STARTTLS injection, CVE-2011-0411), `ERR_TUNNEL_LINE_TOO_LONG`, `ERR_TUNNEL_PEER_CLOSED`.
 */
export async function startTlsClient(stream: Channel | Duplex, options: StartTlsClientOptions = {}): Promise<StartTlsClientResult> {
  const channel = asChannel(stream, options.signal);
  const maxLength = options.maxLineLength ?? MAX_REPLY_LENGTH;
  const greeting = await channel.readLine({ maxLength });
  if (!isServiceAvailable(parseReply(greeting))) {
    throw new NntpError('ERR_TUNNEL_NNTP_BAD_GREETING', `the NNTP server is not available: "${printable(greeting)}"`, {
      stage: 'preTls',
      reply: printable(greeting),
    });
  }
  await options.onGreeting?.(greeting);
  await channel.writeLine('STARTTLS');
  const reply = await channel.readLine({ maxLength });
  if (parseReply(reply).code !== CONTINUE_WITH_TLS) {
    throw new NntpError('ERR_TUNNEL_NNTP_NO_STARTTLS', `the NNTP server refused STARTTLS: "${printable(reply)}"`, {
      stage: 'preTls',
      reply: printable(reply),
    });
  }
  if (channel.buffered > 0) {
    throw new NntpError('ERR_TUNNEL_NNTP_PLAINTEXT_AFTER_STARTTLS', `the NNTP server sent ${channel.buffered} plaintext bytes after 382`, {
      stage: 'preTls',
    });
  }
  return { greeting, reply };
}
