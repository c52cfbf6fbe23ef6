import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';

/**
 * Reads of the plain upstream socket into one reused buffer instead of a new one per read.
 *
 * Node's default read path allocates a fresh 64 KiB buffer for every read of a socket. In a server-mode download
 * that is 1 GiB of external memory per GiB moved; V8 counts it towards its limits and starts full mark-compacts
 * (docs/performance.md: 20–24 per 512 MiB). A socket made with `onread: { buffer, callback }` reads into a buffer
 * the caller owns, so nothing is allocated per read — but then the socket hands no chunks to its stream side, and
 * the caller must have consumed the bytes before the next read overwrites them.
 *
 * One scratch buffer serves every socket of the process: the event loop runs one read callback at a time, and
 * each callback finishes with the bytes before it returns. They are either copied (before the pump, where the
 * socket behaves as an ordinary stream for protocol dialogues) or written to the TLS socket: a TLSSocket whose
 * write queue is empty passes the bytes straight to OpenSSL (`SSL_write` in TLSWrap's DoWrite encrypts them before
 * `write()` returns; a 1 GiB sha256 transfer checks it), so the scratch is free again. When the TLS side still has
 * a write in flight the chunk would wait in its queue, so it is copied into a spare buffer from a small free list
 * and given back when that write completes: no allocation in the steady state either way. Any other kind of stream
 * (the compression stage) gets a copy of its own per read, which is what Node's default read path costs anyway.
 */
const READ_SIZE = 64 * 1024;
const scratch = Buffer.allocUnsafeSlow(READ_SIZE);
/** Free spare buffers, shared by all connections: enough for a few connections' write bounds, the rest go to GC. */
const spares: Buffer[] = [];
const SPARES_KEPT = 16;

/** Where the bytes of one read go: `undefined` while the socket is an ordinary stream. Returns false to stop reading. */
type Sink = (chunk: Buffer) => boolean;

const sinks = new WeakMap<Duplex, { sink: Sink | undefined }>();

/** The `onread` option of one plain upstream socket, and `attach`, to call with the socket it was given to. */
export interface ReusedReads {
  readonly onread: { readonly buffer: Buffer; readonly callback: (bytes: number) => boolean };
  attach(socket: Socket): void;
}

/**
 * Reads for one plain upstream socket. Until {@link pipeReads} takes the socket over, every read is copied into a
 * right-sized buffer and pushed into the socket's readable side, so protocols and `pipe` see an ordinary stream.
 */
export function reusedReads(): ReusedReads {
  const entry: { sink: Sink | undefined } = { sink: undefined };
  let socket: Socket | undefined;
  return {
    onread: {
      buffer: scratch,
      callback: (bytes) => {
        const chunk = scratch.subarray(0, bytes);
        return entry.sink === undefined ? (socket as Socket).push(Buffer.from(chunk)) : entry.sink(chunk);
      },
    },
    attach(made) {
      socket = made;
      sinks.set(made, entry);
    },
  };
}

/**
 * Copies `from` (a socket reading through {@link reusedReads}) into `to` without a buffer per read, with the
 * backpressure of `pipe`: reading stops when `to.write()` reports its bound reached and starts again on `'drain'`;
 * `to` is ended when `from` ends. Returns `undefined` when `from` does not read into the reused buffer (the caller
 * pipes instead), else a function that hands the socket back to its stream side.
 */
export function pipeReads(from: Duplex, to: Duplex): (() => void) | undefined {
  const entry = sinks.get(from);
  if (entry === undefined) return undefined;
  const direct = to instanceof TLSSocket;
  /**
   * Spare buffers in the TLS socket's write queue, oldest first. Its writes complete in order, and only after TLSWrap
   * has handed the bytes to OpenSSL, so each completion frees the oldest.
   */
  const held: Buffer[] = [];
  const release = () => {
    const buffer = held.shift();
    if (buffer !== undefined && spares.length < SPARES_KEPT) spares.push(buffer);
  };
  entry.sink = (chunk) => {
    // Another kind of stream (the compression stage) may keep a chunk after calling back: it gets a copy of its own.
    if (!direct) return to.write(Buffer.from(chunk));
    // An idle TLS socket encrypts the bytes during write(); a queued write keeps them until its completion.
    if (to.writableLength === 0 && to.writableCorked === 0) return to.write(chunk);
    const spare = spares.pop() ?? Buffer.allocUnsafeSlow(READ_SIZE);
    chunk.copy(spare);
    held.push(spare);
    return to.write(spare.subarray(0, chunk.length), release);
  };
  const onDrain = () => from.resume();
  const onEnd = () => to.end();
  to.on('drain', onDrain);
  from.once('end', onEnd);
  // Bytes read before the pump wait, already copied, in the socket's readable buffer: they go first.
  for (let chunk = from.read() as Buffer | null; chunk !== null; chunk = from.read() as Buffer | null) to.write(chunk);
  from.resume();
  return () => {
    entry.sink = undefined;
    to.off('drain', onDrain);
    from.off('end', onEnd);
  };
}
