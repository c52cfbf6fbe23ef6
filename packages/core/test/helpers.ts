import { once } from 'node:events';
import type { Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { formatLogRecord } from '../src/index.js';
import { createTunnel } from '../src/index.js';
import type { Logger, ServiceOptions, Tunnel } from '../src/index.js';

/** A logger that keeps formatted lines for assertions. */
export function memoryLogger(): Logger & { lines: string[]; text(): string; waitFor(pattern: RegExp, ms?: number): Promise<void> } {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  return {
    lines,
    write(record) {
      lines.push(formatLogRecord(record));
      if (process.env.TUNNEL_TEST_LOG) process.stderr.write(`${formatLogRecord(record)}\n`);
      for (const wake of waiters) wake();
    },
    text: () => lines.join('\n'),
    waitFor(pattern, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(lines.join('\n'))) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`log never matched ${pattern}:\n${lines.join('\n')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Starts a tunnel with the given services and returns it with the first TCP port of each service. */
export async function startTunnel(
  services: ServiceOptions[],
  logger = memoryLogger(),
): Promise<{ tunnel: Tunnel; port(name?: string): number; logger: ReturnType<typeof memoryLogger> }> {
  const tunnel = createTunnel({ services: services.map((s) => ({ debug: 7, ...s })), logger, debug: 7 });
  await tunnel.listen();
  const port = (name = services[0]?.name ?? '') => {
    const list = tunnel.addresses().get(name) ?? [];
    const first = list.find((a) => typeof a !== 'string');
    if (first === undefined || typeof first === 'string') throw new Error(`no TCP address for ${name}`);
    return first.port;
  };
  return { tunnel, port, logger };
}

/** Connects a Node TLS client and waits for the handshake. */
export async function tlsClient(options: ConnectionOptions): Promise<TLSSocket> {
  const socket = tlsConnect({ rejectUnauthorized: false, allowHalfOpen: true, ...options } as ConnectionOptions);
  await once(socket, 'secureConnect');
  // A test that leaves a rejected client half-open must not keep the test process alive.
  socket.unref();
  return socket;
}

/** Sends `payload` (in chunks), half-closes, and collects everything until the peer ends. */
export async function exchange(socket: Socket, payload: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(socket, 'end');
  socket.end(payload);
  await ended;
  return Buffer.concat(chunks);
}

/** A TCP server that greets every connection with `banner` and closes: tells which backend a connection reached. */
export async function bannerServer(banner: string, host = '127.0.0.1'): Promise<{ port: number; count(): number; close(): Promise<void> }> {
  const { createServer } = await import('node:net');
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.on('error', () => {});
    socket.end(`${banner}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { port, count: () => count, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on (bound then released). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** Resolves when the stream ends, closes or fails: the peer is gone one way or another. */
export function gone(stream: import('node:stream').Duplex): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}
