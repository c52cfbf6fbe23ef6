import type { Duplex } from 'node:stream';
import { TunnelError } from './errors.js';
import { pipeReads } from './read-buffer.js';

/** How the pump ended. */
export interface PumpResult {
  readonly bytesToTls: number;
  readonly bytesToSocket: number;
  /** Set when the transfer ended in an error or an idle timeout; `undefined` for a clean close in both directions. */
  readonly error: Error | undefined;
}

/** Options of `pump`. */
export interface PumpOptions {
  /** The decrypted TLS stream (or the compression stage around it). */
  readonly tls: Duplex;
  /** The plain side. */
  readonly plain: Duplex;
  /** Bytes left over from a dialogue, to deliver before anything the pipes carry. */
  readonly leftoverToTls: Buffer;
  readonly leftoverToPlain: Buffer;
  /** `TIMEOUTidle` in ms: no data in either direction for this long ends the connection. */
  readonly idleMs: number;
  /** `TIMEOUTclose` in ms: once one direction has closed, how long the other may stay quiet. */
  readonly closeMs: number;
  readonly signal: AbortSignal;
}

/**
 * How many quiet-time checks run per limit: the limit is enforced to within a quarter of itself (TIMEOUTidle = 43200 s
 * is looked at every 3 h, a 400 ms test limit every 100 ms), instead of refreshing a timer on every chunk.
 */
const CHECKS_PER_LIMIT = 4;

/**
 * Write buffer of each side while pumping. Node's default (16 KiB) is below one read of a plain socket (64 KiB), so
 * every chunk made the write report "full": the source paused, stopped reading (an epoll_ctl), and started again
 * (another) once the write completed — two system calls and a pause/drain/resume round per 64 KiB (strace, 1 GiB
 * download). Two reads' worth keeps the pipe flowing; a slow receiver still stops the source at this bound. Only the
 * writable side is raised: that is what decides when the source pauses, and the readable bound stays small, so a
 * connection whose receiver stalls holds at most this plus one read per direction.
 */
const PUMP_HIGH_WATER_MARK = 128 * 1024;

/** Raises a stream's write buffer bound for the transfer (never lowers it); a stream without Node's stream state keeps its own. */
function widen(stream: Duplex): void {
  const state = (stream as unknown as { _writableState?: { highWaterMark?: number } })._writableState;
  if (state !== undefined && typeof state.highWaterMark === 'number' && state.highWaterMark < PUMP_HIGH_WATER_MARK) {
    state.highWaterMark = PUMP_HIGH_WATER_MARK;
  }
}

/** A socket's own count of bytes it has handed to JavaScript (a TLSSocket counts decrypted bytes). */
function nativeBytesRead(stream: Duplex): (() => number) | undefined {
  const socket = stream as Duplex & { bytesRead?: unknown };
  return typeof socket.bytesRead === 'number' ? () => (socket as { bytesRead: number }).bytesRead : undefined;
}

/**
 * Copies both directions with `pipe` (backpressure included) until both
 * have ended. A FIN (or TLS close_notify) from one side ends the writable
 * side of the other (TLSSocket.end() sends close_notify) — half-close as
 * stunnel does. While both directions are open the quiet-time limit is
 * `TIMEOUTidle`; once one has closed it is `TIMEOUTclose` (stunnel's
 * transfer loop switches its poll timeout the same way).
 *
 * Little JavaScript runs per chunk beyond `pipe` itself: bytes are counted
 * from the sockets' own `bytesRead` (a `'data'` listener only for a stream
 * that has none, such as the compression stage or an inetd stdio pair), the
 * quiet time is checked by a coarse timer comparing those counts, and the
 * only per-chunk work is one flag test that corks the plain side for a burst.
 */
export function pump(options: PumpOptions): Promise<PumpResult> {
  const { tls, plain, signal } = options;
  return new Promise((resolve) => {
    let settled = false;
    let directionsOpen = 2;
    let pendingFinish = 2;
    let limitMs = options.idleMs;
    let quietSince = Date.now();
    let lastSeen = -1;
    let timer: NodeJS.Timeout | undefined;
    let clockStarted = false;
    const cleanups: Array<() => void> = [];
    /** Bytes read so far in one direction, counting the leftover handed over by a dialogue. */
    const counter = (from: Duplex, leftover: Buffer): (() => number) => {
      const native = nativeBytesRead(from);
      if (native !== undefined) {
        // Bytes the socket read before the pump but still holds in its buffer are read by the pipe, so they count.
        const base = native() - from.readableLength;
        return () => leftover.length + native() - base;
      }
      let counted = leftover.length;
      listen(from, 'data', (chunk: Buffer) => {
        counted += chunk.length;
      });
      return () => counted;
    };
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const bytesToTls = toTls();
      const bytesToSocket = toSocket();
      for (const cleanup of cleanups) cleanup();
      plain.unpipe(tls);
      tls.unpipe(plain);
      resolve({ bytesToTls, bytesToSocket, error });
    };
    const timeoutError = () =>
      directionsOpen === 2
        ? new TunnelError('ERR_TUNNEL_TIMEOUT_IDLE', `TIMEOUTidle exceeded (${options.idleMs} ms without data): closing`, {
            stage: 'pump',
          })
        : new TunnelError('ERR_TUNNEL_TIMEOUT_IDLE', `TIMEOUTclose exceeded (${options.closeMs} ms after half-close): closing`, {
            stage: 'pump',
          });
    /** Looks at the byte counts: data since the last look restarts the quiet time; a quiet time over the limit ends the pump. */
    const check = () => {
      if (settled) return;
      const now = Date.now();
      const seen = toTls() + toSocket();
      if (seen !== lastSeen) {
        lastSeen = seen;
        quietSince = now;
      }
      const left = quietSince + limitMs - now;
      if (left <= 0) return settle(timeoutError());
      timer = setTimeout(check, Math.min(left, Math.max(1, Math.ceil(limitMs / CHECKS_PER_LIMIT))));
    };
    /** Starts the quiet-time clock over with a new limit (at the start and when the first direction closes). */
    const restartClock = (ms: number) => {
      clockStarted = true;
      limitMs = ms;
      clearTimeout(timer);
      lastSeen = -1;
      check();
    };
    const listen = (stream: Duplex, event: string, handler: Parameters<Duplex['on']>[1]) => {
      stream.on(event, handler);
      cleanups.push(() => stream.off(event, handler));
    };
    const toTls = counter(plain, options.leftoverToTls);
    const toSocket = counter(tls, options.leftoverToPlain);
    const onAbort = () => settle(signal.reason instanceof Error ? signal.reason : new TunnelError('ERR_TUNNEL_SHUTDOWN', 'shutting down'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));

    const finished = () => {
      pendingFinish -= 1;
      if (pendingFinish === 0 && directionsOpen === 0) settle(undefined);
    };
    const direction = (from: Duplex, to: Duplex, leftover: Buffer) => {
      if (leftover.length > 0) to.write(leftover);
      const ended = () => {
        directionsOpen -= 1;
        if (directionsOpen === 1 && options.closeMs > 0) restartClock(options.closeMs);
      };
      listen(to, 'finish', () => {
        finished();
        if (options.closeMs === 0 && !settled) settle(undefined);
      });
      if (from.readableEnded) {
        ended();
        to.end();
      } else {
        listen(from, 'end', ended);
        if (from === tls) corkBursts(from, to);
        // A plain upstream that reads into the reused buffer is copied without a Buffer per read (read-buffer.ts).
        const direct = from === plain ? pipeReads(from, to) : undefined;
        if (direct === undefined) from.pipe(to);
        else cleanups.push(direct);
      }
    };
    /**
     * Decrypted records that arrive together leave together. Node hands each 16 KiB TLS record to JavaScript on its
     * own and the plain socket wrote each at once (strace, 256 MiB upload: 16,400 writes); corked until the event
     * loop's check phase, one poll phase's records go out in one writev (2,050 for the same upload). The check phase
     * follows the poll phase directly, so a lone small record (interactive traffic) waits microseconds, not a tick of a timer.
     */
    const corkBursts = (from: Duplex, to: Duplex) => {
      let corked = false;
      const uncork = () => {
        corked = false;
        to.uncork();
      };
      listen(from, 'data', () => {
        if (corked) return;
        corked = true;
        to.cork();
        setImmediate(uncork);
      });
    };
    const onError = (error: Error) => settle(error);
    // A side destroyed without an error before both of its halves were done: the peer went away (a reset or a teardown).
    const onClose = (stream: Duplex) => () => {
      if (!stream.readableEnded || !stream.writableFinished) {
        settle(
          new TunnelError('ERR_TUNNEL_CONNECTION', 'the connection was closed by a peer before the transfer finished', { stage: 'pump' }),
        );
      }
    };
    listen(tls, 'error', onError);
    listen(plain, 'error', onError);
    listen(tls, 'close', onClose(tls));
    listen(plain, 'close', onClose(plain));
    widen(tls);
    widen(plain);
    direction(plain, tls, options.leftoverToTls);
    direction(tls, plain, options.leftoverToPlain);
    // Unless a side had already ended (TIMEOUTclose is then running), the clock starts on TIMEOUTidle.
    if (!clockStarted && !settled) restartClock(options.idleMs);
  });
}
