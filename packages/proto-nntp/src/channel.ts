import type { Duplex } from 'node:stream';
import { type Channel, StreamChannel } from '@tunnel/protocol';

/** Accepts a tunnel `Channel` as it is, or wraps a bare Duplex so the standalone functions work on any stream. */
export function asChannel(stream: Channel | Duplex, signal: AbortSignal | undefined): Channel {
  if ('readBytes' in stream && 'readLine' in stream) return stream;
  return new StreamChannel(stream, signal === undefined ? {} : { signal });
}
