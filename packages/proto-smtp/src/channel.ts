import { type BorrowedChannel, borrowChannel, type ChannelOrStream } from '@tunnel/protocol';
import { SmtpError } from './errors.js';

/** A `Channel` (tunnel's bounded line I/O) or any Node Duplex, such as a `net.Socket`. */
export type Io = ChannelOrStream;

/** A channel for `io`, and what to do with its unread bytes when the dialogue is over. */
export type Borrowed = BorrowedChannel;

/** Wraps a Duplex in a `StreamChannel` (honouring `signal`), or uses a `Channel` as it is; see `borrowChannel`. */
export function borrow(io: Io, signal?: AbortSignal): Borrowed {
  return borrowChannel(io, {
    signal,
    injection: (bytes) =>
      new SmtpError(
        'ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION',
        `the peer sent ${bytes} bytes of plaintext after the STARTTLS exchange (CVE-2011-0411)`,
      ),
  });
}
