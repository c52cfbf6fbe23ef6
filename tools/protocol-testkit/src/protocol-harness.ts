import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { type Mode, type Protocol, type ProtocolContext, type ProtocolOptions, StreamChannel } from '@tunnel/protocol';
import { listen, type Pki } from '@tunnel/testkit';

/**
 * A minimal stand-in for core's connection chain, for real-peer tests:
 * accept, connect the upstream, run the protocol's hooks around a real TLS
 * handshake (toward the client in server mode, toward the upstream in client
 * mode), refuse leftover plaintext on the TLS-bound side, then pump.
 */
export interface Harness {
  readonly port: number;
  /** Errors the hooks threw, by connection. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

function context(mode: Mode, options: ProtocolOptions, local: StreamChannel, remote: StreamChannel, signal: AbortSignal): ProtocolContext {
  const quiet = () => {};
  return {
    mode,
    service: 'harness',
    peer: { address: '127.0.0.1', port: 0, family: 'IPv4' },
    options,
    signal,
    log: { error: quiet, warning: quiet, notice: quiet, info: quiet, debug: quiet },
    local,
    remote,
    setTarget() {
      throw new Error('not supported by the harness');
    },
    connectRemote: async () => remote,
    tls: undefined,
    state: new Map(),
  };
}

function pump(a: Duplex, aRest: Buffer, b: Duplex, bRest: Buffer): void {
  if (aRest.length > 0) b.write(aRest);
  if (bRest.length > 0) a.write(bRest);
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', close).on('close', close);
  b.on('error', close).on('close', close);
}

export async function startHarness(options: {
  protocol: Protocol;
  mode: Mode;
  upstreamPort: number;
  pki: Pki;
  protocolOptions?: ProtocolOptions;
}): Promise<Harness> {
  const errors: unknown[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer(async (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const upstream = net.connect(options.upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => {});
    const abort = new AbortController();
    try {
      await new Promise((resolve, reject) => upstream.once('connect', resolve).once('error', reject));
      const local = new StreamChannel(socket, { signal: abort.signal });
      const remote = new StreamChannel(upstream, { signal: abort.signal });
      const ctx = context(options.mode, options.protocolOptions ?? {}, local, remote, abort.signal);
      await options.protocol.preTls?.(ctx);
      if (options.mode === 'server') {
        if (local.buffered > 0) throw new Error('plaintext left on the TLS-bound side');
        const secure = new tls.TLSSocket(socket, {
          isServer: true,
          key: options.pki.read('server.key'),
          cert: options.pki.read('server.pem'),
        });
        await new Promise((resolve, reject) => secure.once('secure', resolve).once('error', reject));
        const inner = new StreamChannel(secure, { signal: abort.signal });
        await options.protocol.postTls?.({ ...ctx, local: inner });
        pump(secure, inner.takeBuffered(), upstream, remote.takeBuffered());
      } else {
        if (remote.buffered > 0) throw new Error('plaintext left on the TLS-bound side');
        const secure = tls.connect({ socket: upstream, ca: options.pki.read('ca.pem'), servername: 'localhost' });
        await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
        const inner = new StreamChannel(secure, { signal: abort.signal });
        await options.protocol.postTls?.({ ...ctx, remote: inner });
        pump(socket, local.takeBuffered(), secure, inner.takeBuffered());
      }
    } catch (error) {
      errors.push(error);
      socket.destroy();
      upstream.destroy();
    }
  });
  const port = await listen(server);
  return {
    port,
    errors,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
