import { borrow, type Io } from './channel.js';
import { ImapError } from './errors.js';
import { disableGreetingCapability, isOkGreeting, splitTag } from './lines.js';

/** Options of `startTlsServer`. */
export interface StartTlsServerOptions {
  /** The accepted IMAP client, which will do STARTTLS. */
  readonly client: Io;
  /** The plaintext connection to the real IMAP server, whose greeting is relayed. */
  readonly server: Io;
  /** Longest accepted line from either side (default 4096). */
  readonly maxLineLength?: number;
  /** Most client commands before STARTTLS (default 16; stunnel has no limit, TIMEOUTbusy ends it). */
  readonly maxCommands?: number;
  /** Aborts the dialogue (only used for Duplex arguments). */
  readonly signal?: AbortSignal;
}

/**
 * Server side of RFC 2595 section 3.1, stunnel style. Relays the real
 * server's `* OK` greeting with ` (stunnel)` appended and its CAPABILITY
 * response code spoiled, then serves the client's commands until STARTTLS:
 *
 * - `<tag> STARTTLS` → `<tag> OK Begin TLS negotiation now`, and it resolves;
 * - `<tag> CAPABILITY` → sent to the real server; its untagged line is
 *   relayed with ` STARTTLS` appended, then its tagged answer;
 * - `<tag> LOGOUT` → `* BYE server terminating`, `<tag> OK LOGOUT completed`;
 * - anything else → `* BYE stunnel: unexpected command`, `<tag> BAD … unexpected`.
 *
 * On anything but STARTTLS the real server is logged out (`stunnel LOGOUT`)
 * and it fails: `ERR_TUNNEL_IMAP_LOGOUT`, `ERR_TUNNEL_IMAP_UNEXPECTED_COMMAND`,
 * `ERR_TUNNEL_IMAP_REJECTED` (bad greeting or a CAPABILITY that is not OK),
 * `ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS`; for a Duplex client,
 * `ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION` when it sent bytes after STARTTLS.
 */
export async function startTlsServer(options: StartTlsServerOptions): Promise<void> {
  const client = borrow(options.client, options.signal);
  const server = borrow(options.server, options.signal);
  const maxLength = options.maxLineLength ?? 4096;
  const maxCommands = options.maxCommands ?? 16;
  const greeting = await server.channel.readLine({ maxLength });
  if (!isOkGreeting(greeting))
    throw new ImapError('ERR_TUNNEL_IMAP_REJECTED', 'the IMAP server did not greet with * OK', { line: greeting });
  await client.channel.writeLine(`${disableGreetingCapability(greeting)} (stunnel)`);
  let failure: ImapError;
  for (let count = 0; ; count += 1) {
    if (count >= maxCommands) {
      failure = new ImapError('ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS', `the IMAP client sent ${maxCommands} commands without STARTTLS`);
      break;
    }
    const line = await client.channel.readLine({ maxLength });
    const command = splitTag(line);
    if (command === undefined) {
      failure = new ImapError('ERR_TUNNEL_IMAP_UNEXPECTED_COMMAND', 'the IMAP client sent a line without a tag', { line });
      break;
    }
    const { tag, rest } = command;
    if (/^STARTTLS/i.test(rest)) {
      await client.channel.writeLine(`${tag} OK Begin TLS negotiation now`);
      server.release(false);
      client.release(true);
      return;
    }
    if (/^CAPABILITY/i.test(rest)) {
      await server.channel.writeLine(line);
      let answer = await server.channel.readLine({ maxLength });
      if (answer.startsWith('*')) {
        // Add STARTTLS; stunnel does not add LOGINDISABLED (Mozilla bugs 324138/312009).
        await client.channel.writeLine(`${answer} STARTTLS`);
        answer = await server.channel.readLine({ maxLength });
      }
      await client.channel.writeLine(answer);
      if (!/^OK/i.test(splitTag(answer)?.rest ?? '')) {
        await client.channel.writeLine('* BYE unexpected server response');
        failure = new ImapError('ERR_TUNNEL_IMAP_REJECTED', 'the IMAP server did not answer CAPABILITY with OK', { line: answer });
        break;
      }
      continue;
    }
    if (/^LOGOUT/i.test(rest)) {
      await client.channel.write(`* BYE server terminating\r\n${tag} OK LOGOUT completed\r\n`);
      failure = new ImapError('ERR_TUNNEL_IMAP_LOGOUT', 'the IMAP client logged out before STARTTLS');
      break;
    }
    await client.channel.write(`* BYE stunnel: unexpected command\r\n${tag} BAD ${rest} unexpected\r\n`);
    failure = new ImapError(
      'ERR_TUNNEL_IMAP_UNEXPECTED_COMMAND',
      'the IMAP client sent a command other than CAPABILITY, STARTTLS or LOGOUT',
      { line },
    );
    break;
  }
  // A clean shutdown toward the real server, as stunnel does. stunnel also
  // waits for the answer; it changes nothing, and a silent server would hold
  // the connection until TIMEOUTbusy, so tunnel does not wait.
  await server.channel.writeLine('stunnel LOGOUT').catch(() => {});
  throw failure;
}
