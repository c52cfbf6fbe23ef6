import type { Duplex } from 'node:stream';
import type { Channel } from '@tunnel/protocol';
import { asChannel } from './channel.js';
import { PgsqlError } from './errors.js';
import { buildFatalError, classifyStartupPacket, SSL_ACCEPTED, SSL_REFUSED } from './messages.js';

/** Options of {@link acceptTlsRequest}. */
export interface AcceptTlsRequestOptions {
  /** Aborts the wait for the client's request. */
  readonly signal?: AbortSignal;
}

/** What the client asked for before it got 'S'. */
export interface AcceptTlsRequestResult {
  /** True when the client first asked for GSSAPI encryption and was answered 'N' (then sent SSLRequest). */
  readonly refusedGssenc: boolean;
}

/**
 * Server side of the PostgreSQL SSL negotiation (stunnel `protocol = pgsql`,
 * `client = no`): reads the client's SSLRequest and answers 'S'. On return
 * the stream is ready for the TLS handshake (`new tls.TLSSocket(socket, { isServer: true })`).
 *
 * A GSSENCRequest is answered 'N' (what a PostgreSQL server without GSSAPI
 * answers), after which libpq sends SSLRequest on the same connection. A
 * plain StartupMessage gets a FATAL ErrorResponse (SQLSTATE 28000) telling
 * the user TLS is required, then `ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST`; any
 * other packet is dropped with the same code and no answer.
 */
export async function acceptTlsRequest(stream: Channel | Duplex, options: AcceptTlsRequestOptions = {}): Promise<AcceptTlsRequestResult> {
  const channel = asChannel(stream, options.signal);
  let refusedGssenc = false;
  for (;;) {
    const head = await channel.readBytes(8);
    const kind = classifyStartupPacket(head);
    if (kind === 'gssenc' && !refusedGssenc) {
      refusedGssenc = true;
      await channel.write(Buffer.from([SSL_REFUSED]));
      continue;
    }
    if (kind === 'ssl') break;
    if (kind === 'startup') {
      await channel.write(buildFatalError('28000', 'this server accepts only SSL connections (sslmode=require)'));
    }
    throw new PgsqlError(
      'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST',
      `the PostgreSQL client did not request SSL (first packet: ${describe(kind)})`,
      {
        stage: 'preTls',
      },
    );
  }
  // The client must wait for 'S' before its ClientHello: anything already here is plaintext injected ahead of TLS.
  if (channel.buffered > 0) {
    throw new PgsqlError(
      'ERR_TUNNEL_PGSQL_UNEXPECTED_DATA',
      `the PostgreSQL client sent ${channel.buffered} bytes before the answer to SSLRequest`,
      {
        stage: 'preTls',
      },
    );
  }
  await channel.write(Buffer.from([SSL_ACCEPTED]));
  return { refusedGssenc };
}

function describe(kind: string): string {
  switch (kind) {
    case 'startup':
      return 'a plaintext StartupMessage';
    case 'cancel':
      return 'a plaintext CancelRequest';
    case 'gssenc':
      return 'a second GSSENCRequest';
    default:
      return 'not a PostgreSQL startup packet';
  }
}
