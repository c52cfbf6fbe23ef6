import type { Duplex } from 'node:stream';
import { ProtocolError } from './errors.js';
import type { Channel } from './protocol.js';

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;

/**
 * Bounded line and byte I/O over any Duplex, for protocol dialogues.
 *
 * It reads in paused mode (`'readable'` + `read()`), so nothing is consumed
 * from the stream beyond what a `read()` returned; whatever was read but not
 * handed out stays in the channel until core takes it back with
 * `takeBuffered()`, so no byte is ever dropped or replayed out of order.
 */
export class StreamChannel implements Channel {
  readonly stream: Duplex;
  readonly #signal: AbortSignal | undefined;
  #buffer: Buffer = EMPTY;

  constructor(stream: Duplex, options: { signal?: AbortSignal } = {}) {
    this.stream = stream;
    this.#signal = options.signal;
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  /** Removes and returns the bytes read from the stream but not consumed by the dialogue. */
  takeBuffered(): Buffer {
    const rest = this.#buffer;
    this.#buffer = EMPTY;
    return rest;
  }

  async readLine(options: { maxLength?: number } = {}): Promise<string> {
    const maxLength = options.maxLength ?? 1024;
    let searched = 0;
    for (;;) {
      const end = this.#buffer.indexOf(LF, searched);
      if (end !== -1) {
        if (end > maxLength) throw lineTooLong(maxLength);
        const lineEnd = end > 0 && this.#buffer[end - 1] === CR ? end - 1 : end;
        const line = this.#buffer.toString('utf8', 0, lineEnd);
        this.#buffer = this.#buffer.subarray(end + 1);
        return line;
      }
      if (this.#buffer.length > maxLength) throw lineTooLong(maxLength);
      searched = this.#buffer.length;
      if (!(await this.#fill()))
        throw peerClosed(`the peer closed the connection in the middle of a line (${this.#buffer.length} bytes read)`);
    }
  }

  async readBytes(length: number): Promise<Buffer> {
    while (this.#buffer.length < length) {
      if (!(await this.#fill())) throw peerClosed(`the peer closed the connection after ${this.#buffer.length} of ${length} bytes`);
    }
    const bytes = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return bytes;
  }

  writeLine(line: string): Promise<void> {
    return this.write(`${line}\r\n`);
  }

  write(data: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Appends the next chunk from the stream to the buffer; resolves false at end of stream. */
  async #fill(): Promise<boolean> {
    const stream = this.stream;
    for (;;) {
      this.#signal?.throwIfAborted();
      const chunk: Buffer | null = stream.read();
      if (chunk !== null) {
        this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
        return true;
      }
      if (stream.readableEnded || stream.destroyed) return false;
      await new Promise<void>((resolve, reject) => {
        const settle = (error?: unknown) => {
          stream.off('readable', onWake);
          stream.off('end', onWake);
          stream.off('close', onWake);
          stream.off('error', onError);
          this.#signal?.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error);
        };
        const onWake = () => settle();
        const onError = (error: Error) => settle(peerClosed(`the connection failed: ${error.message}`, error));
        const onAbort = () => settle(this.#signal?.reason ?? new ProtocolError('ERR_TUNNEL_ABORTED', 'the connection was aborted'));
        stream.on('readable', onWake);
        stream.on('end', onWake);
        stream.on('close', onWake);
        stream.on('error', onError);
        this.#signal?.addEventListener('abort', onAbort);
      });
    }
  }
}

function lineTooLong(maxLength: number): ProtocolError {
  return new ProtocolError('ERR_TUNNEL_LINE_TOO_LONG', `the peer sent a line longer than ${maxLength} bytes`);
}

function peerClosed(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError('ERR_TUNNEL_PEER_CLOSED', message, { cause });
}
