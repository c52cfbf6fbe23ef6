import { Duplex } from 'node:stream';

/**
 * Two connected in-memory Duplex streams: what one writes, the other reads.
 * Ending one side ends the other's readable side (half-close), as TCP does.
 */
export function socketPair(): [Duplex, Duplex] {
  let left: Duplex;
  let right: Duplex;
  const make = (peer: () => Duplex) =>
    new Duplex({
      allowHalfOpen: true,
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        peer().push(chunk);
        callback();
      },
      final(callback) {
        peer().push(null);
        callback();
      },
    });
  left = make(() => right);
  right = make(() => left);
  return [left, right];
}
