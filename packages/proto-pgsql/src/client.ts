import type { Duplex } from 'node:stream';
import type { Channel } from '@tunnel/protocol';
import { asChannel } from './channel.js';
import { PgsqlError } from './errors.js';
import { parseSslAnswer, SSL_REQUEST } from './messages.js';

/** Options of {@link requestTls}. */
export interface RequestTlsOptions {
  /** Aborts the wait for the server's answer. */
  readonly signal?: AbortSignal;
}

/**
 * Client side of the PostgreSQL SSL negotiation (stunnel `protocol = pgsql`,
 * `client = yes`): sends SSLRequest to the server and waits for its one-byte
 * answer. On return the stream is ready for a TLS handshake
 * (`tls.connect({ socket })`).
 *
 * Fails with `ERR_TUNNEL_PGSQL_NO_SSL` when the server answers 'N',
 * `ERR_TUNNEL_PGSQL_BAD_RESPONSE` on any other byte, and
 * `ERR_TUNNEL_PGSQL_UNEXPECTED_DATA` when the server sent more than the one
 * byte before the handshake (bytes an attacker could inject into the
 * "encrypted" session, as in PostgreSQL's CVE-2021-23222).
 */
export async function requestTls(stream: Channel | Duplex, options: RequestTlsOptions = {}): Promise<void> {
  const channel = asChannel(stream, options.signal);
  await channel.write(SSL_REQUEST);
  const [byte] = await channel.readBytes(1);
  const answer = parseSslAnswer(byte!);
  if (answer === 'refused') {
    throw new PgsqlError('ERR_TUNNEL_PGSQL_NO_SSL', "the PostgreSQL server refused SSL (answered 'N' to SSLRequest)", { stage: 'preTls' });
  }
  if (answer === 'other') {
    throw new PgsqlError(
      'ERR_TUNNEL_PGSQL_BAD_RESPONSE',
      `the PostgreSQL server answered SSLRequest with byte 0x${hex(byte!)}, not 'S' or 'N'`,
      {
        stage: 'preTls',
      },
    );
  }
  if (channel.buffered > 0) {
    throw new PgsqlError('ERR_TUNNEL_PGSQL_UNEXPECTED_DATA', `the PostgreSQL server sent ${channel.buffered} plaintext bytes after 'S'`, {
      stage: 'preTls',
    });
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
