import { borrow, type Io } from './channel.js';
import { ImapError } from './errors.js';
import { isOkGreeting, isTaggedOk, isUntagged } from './lines.js';

/** Options of `startTlsClient`. */
export interface StartTlsClientOptions {
  /** The tag of the STARTTLS command (stunnel: `stunnel`). */
  readonly tag?: string;
  /** Called with the server's greeting once it is known to be `* OK`. */
  readonly onGreeting?: (line: string) => void | Promise<void>;
  /** Longest accepted line (default 4096: IMAP greetings carry long capability lists). */
  readonly maxLineLength?: number;
  /** Most untagged lines accepted before the tagged STARTTLS answer (default 100). */
  readonly maxUntagged?: number;
  /** Aborts the dialogue (only used when `server` is a Duplex; a Channel carries its own signal). */
  readonly signal?: AbortSignal;
}

/**
 * Client side of RFC 2595 section 3.1 on the connection to an IMAP server,
 * as stunnel does it: reads the `* OK` greeting, sends `stunnel STARTTLS`,
 * expects `stunnel OK`. Untagged lines before the tagged answer are skipped
 * (RFC 3501 section 2.2.2 allows them; stunnel would fail on them). When it
 * resolves, start TLS on the same socket.
 *
 * Fails with `ERR_TUNNEL_IMAP_REJECTED` when the greeting is not `* OK`,
 * `ERR_TUNNEL_IMAP_NO_STARTTLS` when STARTTLS is refused,
 * `ERR_TUNNEL_IMAP_TOO_MANY_LINES` past `maxUntagged`, and (for a Duplex)
 * `ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION` when the server sent bytes after its
 * tagged OK.
 */
export async function startTlsClient(server: Io, options: StartTlsClientOptions = {}): Promise<{ readonly greeting: string }> {
  const { channel, release } = borrow(server, options.signal);
  const maxLength = options.maxLineLength ?? 4096;
  const tag = options.tag ?? 'stunnel';
  const greeting = await channel.readLine({ maxLength });
  if (!isOkGreeting(greeting))
    throw new ImapError('ERR_TUNNEL_IMAP_REJECTED', 'the IMAP server did not greet with * OK', { line: greeting });
  await options.onGreeting?.(greeting);
  await channel.writeLine(`${tag} STARTTLS`);
  const maxUntagged = options.maxUntagged ?? 100;
  for (let untagged = 0; ; untagged += 1) {
    const line = await channel.readLine({ maxLength });
    if (isTaggedOk(line, tag)) break;
    if (!isUntagged(line)) throw new ImapError('ERR_TUNNEL_IMAP_NO_STARTTLS', 'the IMAP server refused STARTTLS', { line });
    if (untagged >= maxUntagged) {
      throw new ImapError(
        'ERR_TUNNEL_IMAP_TOO_MANY_LINES',
        `the IMAP server sent more than ${maxUntagged} untagged lines before answering STARTTLS`,
      );
    }
  }
  release(true);
  return { greeting };
}
