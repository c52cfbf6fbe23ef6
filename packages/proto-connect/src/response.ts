import type { Channel } from '@tunnel/protocol';
import { ConnectError } from './errors.js';

/** A proxy's answer to CONNECT: status line and header fields (names lower-cased, in order). */
export interface ConnectResponse {
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly (readonly [name: string, value: string])[];
}

/** Longest status or header line accepted, and most header lines; a proxy has no reason to send more. */
export const MAX_LINE = 8192;
export const MAX_HEADERS = 100;

/** Parses `HTTP/1.x NNN reason` (RFC 9112 §4); throws `ERR_TUNNEL_CONNECT_BAD_RESPONSE` for anything else. */
export function parseStatusLine(line: string): { status: number; reason: string } {
  const match = /^HTTP\/1\.[01] ([1-5]\d\d)(?: ([^\r\n]*))?$/.exec(line);
  if (match === null) {
    throw new ConnectError(
      'ERR_TUNNEL_CONNECT_BAD_RESPONSE',
      `the proxy answered CONNECT with something that is not an HTTP/1.x status line: ${JSON.stringify(line.slice(0, 80))}`,
    );
  }
  return { status: Number(match[1]), reason: match[2] ?? '' };
}

/** Parses one `name: value` header line (RFC 9110 §5); obsolete line folding is refused (RFC 9112 §5.2). */
export function parseHeaderLine(line: string): [string, string] {
  const colon = line.indexOf(':');
  if (colon <= 0 || /[\s]/.test(line.slice(0, colon)) || /^[ \t]/.test(line)) {
    throw new ConnectError(
      'ERR_TUNNEL_CONNECT_BAD_RESPONSE',
      `the proxy sent a malformed header line: ${JSON.stringify(line.slice(0, 80))}`,
    );
  }
  return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
}

/**
 * Reads a response head (status line, header lines, the empty line) with bounded line length and
 * count. Nothing after the empty line is read: a body or early tunnel bytes stay in the channel.
 */
export async function readResponseHead(channel: Channel): Promise<ConnectResponse> {
  const { status, reason } = parseStatusLine(await channel.readLine({ maxLength: MAX_LINE }));
  const headers: [string, string][] = [];
  for (;;) {
    const line = await channel.readLine({ maxLength: MAX_LINE });
    if (line === '') return { status, reason, headers };
    if (headers.length >= MAX_HEADERS)
      throw new ConnectError('ERR_TUNNEL_CONNECT_TOO_MANY_HEADERS', `the proxy sent more than ${MAX_HEADERS} header lines`, { status });
    headers.push(parseHeaderLine(line));
  }
}

/** The value of the first header named `name` (lower case), or undefined. */
export function headerValue(response: ConnectResponse, name: string): string | undefined {
  return response.headers.find(([key]) => key === name)?.[1];
}
