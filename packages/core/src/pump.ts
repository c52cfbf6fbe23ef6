import type { Duplex } from 'node:stream';
import { TunnelError } from './errors.js';

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
 * Copies both directions with `pipe` (backpressure included) until both
 * have ended. A FIN (or TLS close_notify) from one side ends the writable
 * side of the other (TLSSocket.end() sends close_notify) — half-close as
 * stunnel does. While both directions are open the quiet-time limit is
 * `TIMEOUTidle`; once one has closed it is `TIMEOUTclose` (stunnel's
 * transfer loop switches its poll timeout the same way).
 */
export function pump(options: PumpOptions): Promise<PumpResult> {
  const { tls, plain, signal } = options;
  let bytesToTls = options.leftoverToTls.length;
  let bytesToSocket = options.leftoverToPlain.length;
  return new Promise((resolve) => {
    let settled = false;
    let directionsOpen = 2;
    let pendingFinish = 2;
    const cleanups: Array<() => void> = [];
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
      plain.unpipe(tls);
      tls.unpipe(plain);
      resolve({ bytesToTls, bytesToSocket, error });
    };
    const onTimeout = () => {
      if (directionsOpen === 2) {
        settle(
          new TunnelError('ERR_TUNNEL_TIMEOUT_IDLE', `TIMEOUTidle exceeded (${options.idleMs} ms without data): closing`, {
            stage: 'pump',
          }),
        );
      } else {
        settle(
          new TunnelError('ERR_TUNNEL_TIMEOUT_IDLE', `TIMEOUTclose exceeded (${options.closeMs} ms after half-close): closing`, {
            stage: 'pump',
          }),
        );
      }
    };
    let timer = setTimeout(onTimeout, options.idleMs);
    const listen = (stream: Duplex, event: string, handler: Parameters<Duplex['on']>[1]) => {
      stream.on(event, handler);
      cleanups.push(() => stream.off(event, handler));
    };
    const onAbort = () => settle(signal.reason instanceof Error ? signal.reason : new TunnelError('ERR_TUNNEL_SHUTDOWN', 'shutting down'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));

    const finished = () => {
      pendingFinish -= 1;
      if (pendingFinish === 0 && directionsOpen === 0) settle(undefined);
    };
    const direction = (from: Duplex, to: Duplex, leftover: Buffer, count: (n: number) => void) => {
      if (leftover.length > 0) to.write(leftover);
      const ended = () => {
        directionsOpen -= 1;
        if (directionsOpen === 1 && options.closeMs > 0) {
          clearTimeout(timer);
          timer = setTimeout(onTimeout, options.closeMs);
        }
      };
      listen(to, 'finish', () => {
        finished();
        if (options.closeMs === 0 && !settled) settle(undefined);
      });
      listen(from, 'data', (chunk: Buffer) => {
        count(chunk.length);
        timer.refresh();
      });
      if (from.readableEnded) {
        ended();
        to.end();
      } else {
        listen(from, 'end', ended);
        from.pipe(to);
      }
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
    direction(plain, tls, options.leftoverToTls, (n) => {
      bytesToTls += n;
    });
    direction(tls, plain, options.leftoverToPlain, (n) => {
      bytesToSocket += n;
    });
  });
}
