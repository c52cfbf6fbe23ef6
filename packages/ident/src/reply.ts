import { IdentError } from './errors.js';

/** A parsed RFC 1413 reply line. */
export type IdentReply =
  | {
      readonly type: 'USERID';
      /** Port on the identd host (our client's side of the connection). */
      readonly serverPort: number;
      /** Port on the querying host (our side). */
      readonly clientPort: number;
      /** Operating system token, e.g. `UNIX`, `OTHER`. */
      readonly opsys: string;
      /** Optional character set after the comma (RFC 1413 default US-ASCII). */
      readonly charset: string | undefined;
      readonly userId: string;
    }
  | { readonly type: 'ERROR'; readonly serverPort: number; readonly clientPort: number; readonly error: string };

/** RFC 1413 caps the user id at 512 octets; a reply line is bounded a little above that. */
export const maxReplyLength = 1000;

/** The query line for a connection from `remotePort` (client side) to `localPort` (our side), CRLF-terminated. */
export function formatIdentQuery(remotePort: number, localPort: number): string {
  return `${remotePort} , ${localPort}\r\n`;
}

function port(text: string, line: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > 65535) {
    throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', `bad port ${JSON.stringify(trimmed)} in ident reply ${JSON.stringify(line)}`);
  }
  return Number(trimmed);
}

/**
 * Parses one reply line (without its CRLF) per RFC 1413 section 6:
 * `<port-pair> : USERID : <opsys>[,<charset>] : <user-id>` or `<port-pair> : ERROR : <error-type>`.
 * The user id is everything after the third colon (it may itself contain colons), with the
 * leading blanks the grammar allows removed.
 */
export function parseIdentReply(line: string): IdentReply {
  if (line.length > maxReplyLength)
    throw new IdentError('ERR_TUNNEL_IDENT_TOO_LONG', `ident reply longer than ${maxReplyLength} characters`);
  const first = line.indexOf(':');
  const second = first < 0 ? -1 : line.indexOf(':', first + 1);
  if (second < 0) throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', `ident reply without a response type: ${JSON.stringify(line)}`);
  const ports = line.slice(0, first).split(',');
  if (ports.length !== 2) throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', `ident reply without a port pair: ${JSON.stringify(line)}`);
  const serverPort = port(ports[0] as string, line);
  const clientPort = port(ports[1] as string, line);
  const type = line
    .slice(first + 1, second)
    .trim()
    .toUpperCase();
  const rest = line.slice(second + 1);
  if (type === 'ERROR') {
    const error = rest.trim();
    if (error === '')
      throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', `ident ERROR reply without an error type: ${JSON.stringify(line)}`);
    return { type: 'ERROR', serverPort, clientPort, error };
  }
  if (type !== 'USERID') throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', `unknown ident response type ${JSON.stringify(type)}`);
  const third = rest.indexOf(':');
  if (third < 0) throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', `ident USERID reply without a user id: ${JSON.stringify(line)}`);
  const [opsys = '', charset] = rest
    .slice(0, third)
    .split(',')
    .map((part) => part.trim());
  const userId = rest.slice(third + 1).replace(/^[ \t]+/, '');
  if (opsys === '' || userId === '')
    throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', `ident USERID reply with an empty field: ${JSON.stringify(line)}`);
  if (/[\0\r\n]/.test(userId)) throw new IdentError('ERR_TUNNEL_IDENT_MALFORMED', 'ident user id contains NUL, CR or LF');
  return { type: 'USERID', serverPort, clientPort, opsys, charset: charset === '' ? undefined : charset, userId };
}
