import type { Duplex } from 'node:stream';
import type { Channel } from '@tunnel/protocol';
import { asChannel } from './channel.js';
import { CifsError } from './errors.js';
import { EMPTY_SESSION_REQUEST, judgeAnswerHeader, judgeErrorCode, parseHeader } from './messages.js';

/** Options of {@link requestTls}. */
export interface RequestTlsOptions {
  /** Aborts the wait for the server's answer. */
  readonly signal?: AbortSignal;
}

/**
 * Client side of Samba's SSL extension (stunnel `protocol = cifs`,
 * `client = yes`): sends an empty NetBIOS SESSION REQUEST and expects the
 * NEGATIVE SESSION RESPONSE `83 00 00 01 8E`. On return the stream is ready
 * for `tls.connect({ socket })`.
 *
 * Unlike stunnel, which waits for all 5 bytes, it fails as soon as the
 * 4-byte header is wrong, so a server that answers with a 4-byte positive
 * response and waits cannot stall the connection until TIMEOUTbusy.
 */
export async function requestTls(stream: Channel | Duplex, options: RequestTlsOptions = {}): Promise<void> {
  const channel = asChannel(stream, options.signal);
  await channel.write(EMPTY_SESSION_REQUEST);
  const header = parseHeader(await channel.readBytes(4));
  const verdict = judgeAnswerHeader(header);
  if (verdict === 'not-negative-response') {
    throw new CifsError(
      'ERR_TUNNEL_CIFS_NOT_NEGATIVE_RESPONSE',
      `the server answered packet type 0x${hex(header.type)}, not a negative session response (0x83)`,
      {
        stage: 'preTls',
      },
    );
  }
  if (verdict === 'bad-length') {
    throw new CifsError('ERR_TUNNEL_CIFS_BAD_LENGTH', `the server's negative session response is ${header.length} bytes long, not 1`, {
      stage: 'preTls',
    });
  }
  const [code] = await channel.readBytes(1);
  if (judgeErrorCode(code!) === 'no-ssl') {
    throw new CifsError(
      'ERR_TUNNEL_CIFS_NO_SSL',
      `the server refused the session with error 0x${hex(code!)}, not 0x8e (use SSL): it does not require SSL`,
      {
        stage: 'preTls',
      },
    );
  }
  if (channel.buffered > 0) {
    throw new CifsError('ERR_TUNNEL_CIFS_UNEXPECTED_DATA', `the server sent ${channel.buffered} plaintext bytes after its answer`, {
      stage: 'preTls',
    });
  }
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
