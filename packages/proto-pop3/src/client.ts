import { borrow, type Io } from './channel.js';
import { Pop3Error } from './errors.js';
import { isOk } from './response.js';

/** Options of `startTlsClient`. */
export interface StartTlsClientOptions {
  /** Called with the server's greeting once it is known to be `+OK`, so it can be relayed to the local client as stunnel does. */
  readonly onGreeting?: (line: string) => void | Promise<void>;
  /** Longest accepted response line (default 1024; RFC 2449 section 4 allows 512). */
  readonly maxLineLength?: number;
  /** Aborts the dialogue (only used when `server` is a Duplex; a Channel carries its own signal). */
  readonly signal?: AbortSignal;
}

/**
 * Client side of RFC 2595 section 4 on the connection to a POP3 server, as
 * stunnel does it: reads the `+OK` greeting, sends `STLS`, expects `+OK`.
 * When it resolves, start TLS on the same socket. (stunnel does not send CAPA
 * first; neither does this.)
 *
 * Fails with `ERR_TUNNEL_POP3_REJECTED` when the greeting is not `+OK`,
 * `ERR_TUNNEL_POP3_NO_STLS` when STLS is refused, and (for a Duplex)
 * `ERR_TUNNEL_POP3_PLAINTEXT_INJECTION` when the server sent bytes after its
 * `+OK` to STLS.
 */
export async function startTlsClient(server: Io, options: StartTlsClientOptions = {}): Promise<{ readonly greeting: string }> {
  const { channel, release } = borrow(server, options.signal);
  const maxLength = options.maxLineLength ?? 1024;
  const greeting = await channel.readLine({ maxLength });
  if (!isOk(greeting)) throw new Pop3Error('ERR_TUNNEL_POP3_REJECTED', 'the POP3 server did not greet with +OK', { line: greeting });
  await options.onGreeting?.(greeting);
  await channel.writeLine('STLS');
  const reply = await channel.readLine({ maxLength });
  if (!isOk(reply)) throw new Pop3Error('ERR_TUNNEL_POP3_NO_STLS', 'the POP3 server refused STLS', { line: reply });
  release(true);
  return { greeting };
}
