import type { Duplex } from 'node:stream';
import { StreamChannel } from './channel.js';
import type { Channel } from './protocol.js';

/** What a protocol's standalone function accepts: a tunnel `Channel`, or any Node Duplex such as a `net.Socket`. */
export type ChannelOrStream = Channel | Duplex;

/** A channel lent for one dialogue, and how to give it back. */
export interface BorrowedChannel {
  readonly channel: Channel;
  /**
   * Ends the dialogue. A `Channel` passed in is left as it is (core inspects
   * its leftovers). For a Duplex wrapped here, bytes read past the dialogue
   * are refused with `injection(count)` when TLS is about to start on that
   * stream (STARTTLS injection, CVE-2011-0411), and otherwise pushed back onto
   * the stream so its next reader gets them first.
   */
  release(tlsBound: boolean): void;
}

/**
 * Lets a protocol's standalone functions work on any stream: a `Channel` is
 * used as it is, a Duplex is wrapped in a `StreamChannel` honouring `signal`.
 */
export function borrowChannel(
  io: ChannelOrStream,
  options: { signal?: AbortSignal | undefined; injection: (bytes: number) => Error },
): BorrowedChannel {
  if ('readLine' in io && 'readBytes' in io) return { channel: io, release: () => {} };
  const stream = io as Duplex;
  const channel = new StreamChannel(stream, options.signal === undefined ? {} : { signal: options.signal });
  return {
    channel,
    release(tlsBound) {
      if (channel.buffered === 0) return;
      const rest = channel.takeBuffered();
      if (tlsBound) throw options.injection(rest.length);
      stream.unshift(rest);
    },
  };
}
