import { Duplex } from 'node:stream';
import { constants, createDeflate, createDeflateRaw, createInflate, createInflateRaw } from 'node:zlib';

/**
 * Wraps the TLS payload stream in a compression stage: what is written is
 * deflated onto `stream`, what `stream` yields is inflated. Every write is
 * followed by a `Z_SYNC_FLUSH` (zlib's `flush` option), so interactive
 * traffic is never held back waiting for more input.
 *
 * `deflate` is raw DEFLATE (RFC 1951), `zlib` the zlib format (RFC 1950).
 * This replaces TLS-level compression, which OpenSSL 3 no longer offers: both
 * ends must be tunnel with the same `compression =` value.
 */
export function compressStream(stream: Duplex, method: 'deflate' | 'zlib'): Duplex {
  const options = { flush: constants.Z_SYNC_FLUSH };
  const deflate = method === 'deflate' ? createDeflateRaw(options) : createDeflate(options);
  const inflate = method === 'deflate' ? createInflateRaw() : createInflate();
  deflate.pipe(stream);
  stream.pipe(inflate);
  const joined = new Duplex({
    allowHalfOpen: true,
    write(chunk: Buffer, _encoding, callback) {
      if (deflate.write(chunk)) callback();
      else deflate.once('drain', () => callback());
    },
    // Finish only once the last compressed block has reached the TLS stream and it has ended (close_notify sent):
    // ending earlier would let the caller tear the TLS stream down while the final block is still in flight.
    final(callback) {
      if (stream.writableFinished) return callback();
      stream.once('finish', () => callback());
      deflate.end();
    },
    read() {
      inflate.resume();
    },
    destroy(error, callback) {
      deflate.destroy();
      inflate.destroy();
      callback(error);
    },
  });
  inflate.on('data', (chunk: Buffer) => {
    if (!joined.push(chunk)) inflate.pause();
  });
  inflate.on('end', () => joined.push(null));
  const fail = (error: Error) => joined.destroy(error);
  deflate.on('error', fail);
  inflate.on('error', fail);
  stream.on('error', fail);
  return joined;
}
