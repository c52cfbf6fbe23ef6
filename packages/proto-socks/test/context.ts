/** Test-only stand-in for core: a ProtocolContext over StreamChannels, and a TLS server running a protocol's postTls. */
import net from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { type Channel, type Protocol, type ProtocolContext, type ProtocolOptions, StreamChannel, type Target } from '@tunnel/protocol';

export interface TestContext extends ProtocolContext {
  readonly target: () => Target | undefined;
  readonly remoteSocket: () => net.Socket | undefined;
  readonly logs: string[];
}

/** A context whose `connectRemote` opens a real TCP connection to the target set with `setTarget`. */
export function makeContext(local: Duplex, options: ProtocolOptions = {}, signal: AbortSignal = new AbortController().signal): TestContext {
  let target: Target | undefined;
  let remote: StreamChannel | undefined;
  let socket: net.Socket | undefined;
  const logs: string[] = [];
  const log = (message: string) => {
    logs.push(message);
  };
  return {
    mode: 'server',
    service: 'test',
    peer: { address: '127.0.0.1', port: 1, family: 'IPv4' },
    options,
    signal,
    log: { error: log, warning: log, notice: log, info: log, debug: log },
    local: new StreamChannel(local, { signal }),
    get remote(): Channel | undefined {
      return remote;
    },
    setTarget(next) {
      if (remote !== undefined) throw Object.assign(new Error('remote connected'), { code: 'ERR_TUNNEL_REMOTE_CONNECTED' });
      target = next;
    },
    async connectRemote() {
      if (remote !== undefined) return remote;
      if (target === undefined) throw new Error('no target');
      const connecting = net.connect({ host: target.host, port: target.port });
      await Promise.race([once(connecting, 'connect'), once(connecting, 'error').then(([error]) => Promise.reject(error))]);
      socket = connecting;
      remote = new StreamChannel(connecting, { signal });
      return remote;
    },
    tls: undefined,
    state: new Map(),
    target: () => target,
    remoteSocket: () => socket,
    logs,
  };
}

export interface HookServer {
  readonly port: number;
  /** Errors thrown by the hook, in order. */
  readonly errors: unknown[];
  close(): Promise<void>;
}

/**
 * A TLS server that hands each decrypted connection to `protocol.postTls` with a test context, then
 * pumps bytes both ways (buffered leftovers first), as core will.
 */
export async function hookServer(protocol: Protocol, options: ProtocolOptions, tlsOptions: tls.TlsOptions): Promise<HookServer> {
  const errors: unknown[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(tlsOptions, (secure) => {
    sockets.add(secure);
    secure.on('close', () => sockets.delete(secure));
    secure.on('error', () => {});
    const context = makeContext(secure, options);
    void (async () => {
      try {
        await protocol.postTls?.(context);
        await context.connectRemote();
        const remote = context.remoteSocket();
        if (remote === undefined) throw new Error('no remote');
        sockets.add(remote);
        remote.on('error', () => {});
        remote.on('close', () => secure.destroy());
        secure.on('close', () => remote.destroy());
        const local = context.local as StreamChannel;
        const rest = local.takeBuffered();
        if (rest.length > 0) remote.write(rest);
        const upRest = (context.remote as StreamChannel).takeBuffered();
        if (upRest.length > 0) secure.write(upRest);
        secure.pipe(remote);
        remote.pipe(secure);
      } catch (error) {
        errors.push(error);
        secure.end();
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    errors,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
