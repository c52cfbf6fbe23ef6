import { borrow, type Io } from './channel.js';
import { Pop3Error } from './errors.js';
import { commandOf, isOk } from './response.js';

/** Options of `startTlsServer`. */
export interface StartTlsServerOptions {
  /** The accepted POP3 client, which will do STLS. */
  readonly client: Io;
  /** The plaintext connection to the real POP3 server, whose greeting is relayed. */
  readonly server: Io;
  /** Longest accepted line from either side (default 1024). */
  readonly maxLineLength?: number;
  /** Aborts the dialogue (only used for Duplex arguments). */
  readonly signal?: AbortSignal;
}

/**
 * Server side of RFC 2595 section 4, stunnel style: relays the real server's
 * greeting with ` + stunnel` appended, answers one optional `CAPA` itself
 * with a list holding only `STLS` (RFC 2449), then accepts `STLS` with
 * `+OK Stunnel starts TLS negotiation`. When it resolves, start TLS toward
 * the client; the real server has seen nothing but its own greeting.
 *
 * Fails with `ERR_TUNNEL_POP3_REJECTED` when the server's greeting is not
 * `+OK` (relayed unchanged first, so the client sees why),
 * `ERR_TUNNEL_POP3_UNEXPECTED_COMMAND` when the client sends anything but
 * [CAPA then] STLS, and (for a Duplex client)
 * `ERR_TUNNEL_POP3_PLAINTEXT_INJECTION` when it sent bytes after STLS.
 */
export async function startTlsServer(options: StartTlsServerOptions): Promise<void> {
  const client = borrow(options.client, options.signal);
  const server = borrow(options.server, options.signal);
  const maxLength = options.maxLineLength ?? 1024;
  const greeting = await server.channel.readLine({ maxLength });
  if (!isOk(greeting)) {
    await client.channel.writeLine(greeting);
    throw new Pop3Error('ERR_TUNNEL_POP3_REJECTED', 'the POP3 server did not greet with +OK', { line: greeting });
  }
  await client.channel.writeLine(`${greeting} + stunnel`);
  let line = await client.channel.readLine({ maxLength });
  if (commandOf(line) === 'CAPA') {
    // RFC 2449 section 5: a multi-line list ended by a lone dot.
    await client.channel.write('+OK Stunnel capability list follows\r\nSTLS\r\n.\r\n');
    line = await client.channel.readLine({ maxLength });
  }
  if (commandOf(line) !== 'STLS') {
    throw new Pop3Error('ERR_TUNNEL_POP3_UNEXPECTED_COMMAND', 'the POP3 client did not ask for STLS', { line });
  }
  await client.channel.writeLine('+OK Stunnel starts TLS negotiation');
  server.release(false);
  client.release(true);
}
