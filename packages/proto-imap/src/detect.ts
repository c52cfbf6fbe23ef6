import type { Duplex } from 'node:stream';

/**
 * Resolves true when `stream` has bytes to read within `ms` milliseconds,
 * without consuming them. stunnel waits 200 ms in server mode: a client that
 * speaks first is not doing STARTTLS (it starts TLS at once, IMAPS
 * style), so the plaintext dialogue is skipped.
 */
export function clientSpeaksFirst(stream: Duplex, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (stream.readableLength > 0) return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const settle = (value: boolean | Error) => {
      clearTimeout(timer);
      stream.off('readable', onReadable);
      signal?.removeEventListener('abort', onAbort);
      if (value instanceof Error) reject(value);
      else resolve(value);
    };
    const onReadable = () => {
      if (stream.readableLength > 0) settle(true);
    };
    const onAbort = () => settle(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(() => settle(false), ms);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort);
    stream.on('readable', onReadable);
  });
}
