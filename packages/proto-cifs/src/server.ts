import type { Duplex } from 'node:stream';
import type { Channel } from '@tunnel/protocol';
import { asChannel } from './channel.js';
import { CifsError } from './errors.js';
import { MAX_REQUEST_BODY, parseHeader, RESPONSE_REFUSED, RESPONSE_USE_SSL, SESSION_REQUEST } from './messages.js';

/** Options of {@link acceptTlsRequest}. */
export interface AcceptTlsRequestOptions {
  /** Aborts the wait for the client's request. */
  readonly signal?: AbortSignal;
}

/**
 * Server side of Samba's SSL extension (stunnel `protocol = cifs`,
 * `client = no`): reads one NetBIOS session packet (body at most 124 bytes)
 * and answers a SESSION REQUEST with `83 00 00 01 8E` ("use SSL"). Any other
 * packet type is answered `83 00 00 01 81` and rejected; a longer body is
 * rejected without an answer, as stunnel does. On return the stream is
 * ready for the TLS handshake.
 */
export async function acceptTlsRequest(stream: Channel | Duplex, options: AcceptTlsRequestOptions = {}): Promise<void> {
  const channel = asChannel(stream, options.signal);
  const header = parseHeader(await channel.readBytes(4));
  if (header.length > MAX_REQUEST_BODY) {
    throw new CifsError(
      'ERR_TUNNEL_CIFS_TOO_LONG',
      `the client's NetBIOS packet body is ${header.length} bytes, more than ${MAX_REQUEST_BODY}`,
      {
        stage: 'preTls',
      },
    );
  }
  // The called and calling names are read and ignored: stunnel does not check them either.
  await channel.readBytes(header.length);
  if (header.type !== SESSION_REQUEST) {
    await channel.write(RESPONSE_REFUSED);
    throw new CifsError(
      'ERR_TUNNEL_CIFS_NOT_SESSION_REQUEST',
      `the client sent packet type 0x${header.type.toString(16)}, not a session request (0x81)`,
      {
        stage: 'preTls',
      },
    );
  }
  // The client must wait for the answer before its ClientHello: anything already here was injected ahead of TLS.
  if (channel.buffered > 0) {
    throw new CifsError(
      'ERR_TUNNEL_CIFS_UNEXPECTED_DATA',
      `the client sent ${channel.buffered} bytes before the answer to its session request`,
      {
        stage: 'preTls',
      },
    );
  }
  await channel.write(RESPONSE_USE_SSL);
}
