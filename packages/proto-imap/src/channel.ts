import type { Duplex } from 'node:stream';
import { type Channel, StreamChannel } from '@tunnel/protocol';
import { ImapError } from './errors.js';

/** A `Channel` (tunnel's bounded line I/O) or any Node Duplex, such as a `net.Socket`. */
export type Io = Channel | Duplex;

/** A channel for `io`, and what to do with its unread bytes when the dialogue is over. */
export interface Borrowed {
  readonly channel: Channel;
  /**
   * Ends the borrowing. A channel passed in is left as it is (core inspects it).
   * For a Duplex wrapped here, bytes read past the dialogue are refused when
   * TLS is about to start on it (STARTTLS injection, CVE-2011-0411), and
   * otherwise pushed back onto the stream so the caller reads them next.
   */
  release(tlsBound: boolean): void;
}

/** Wraps a Duplex in a `StreamChannel` (honouring `signal`), or uses a `Channel` as it is. */
export function borrow(io: Io, signal?: AbortSignal): Borrowed {
  if ('readLine' in io) return { channel: io, release: () => {} };
  const channel = new StreamChannel(io, signal === undefined ? {} : { signal });
  return {
    channel,
    release(tlsBound) {
      if (channel.buffered === 0) return;
      const rest = channel.takeBuffered();
      if (tlsBound) {
        throw new ImapError(
          'ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION',
          `the peer sent ${rest.length} bytes of plaintext after the STARTTLS exchange (CVE-2011-0411)`,
        );
      }
      io.unshift(rest);
    },
  };
}
