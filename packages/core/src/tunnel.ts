import { EventEmitter } from 'node:events';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { type Server, type Socket, connect as netConnect, createServer } from 'node:net';
import { createAdmission, type Refusal } from './admission.js';
import { runConnection } from './connection.js';
import { TunnelError } from './errors.js';
import { closeChannel, openChannel, tlsChannel, tlsFailureChannel } from './events.js';
import { bindLog } from './log.js';
import { type PreparedService, prepareService } from './service.js';
import type {
  AcceptAddress,
  ActiveConnection,
  HandshakeFailureEvent,
  TlsHandshakeEvent,
  CloseOptions,
  ConnectionCloseEvent,
  ConnectionOpenEvent,
  ConnectionRefusedEvent,
  ServiceOptions,
  Tunnel,
  TunnelOptions,
} from './types.js';

interface Listener {
  readonly key: string;
  readonly server: Server;
  readonly path: string | undefined;
}

interface Running {
  prepared: PreparedService;
  listeners: Listener[];
}

function acceptKey(address: AcceptAddress): string {
  return 'path' in address ? `unix:${address.path}` : `tcp:${address.host ?? '::'}:${address.port}`;
}

function describeAccept(address: AcceptAddress): string {
  if ('path' in address) return address.path;
  const host = address.host ?? '::';
  return host.includes(':') ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}

/** Whether something accepts connections on a Unix socket path (so it is not stale). */
function unixSocketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = netConnect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * Removes a stale Unix socket file left by a previous run. Only a socket
 * nobody answers on is removed; a regular file or a live socket is never
 * touched (the bind then fails with a clear error).
 */
async function removeStaleSocket(path: string, service: string): Promise<void> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch {
    return;
  }
  if (!stats.isSocket()) {
    throw new TunnelError('ERR_TUNNEL_LISTEN_FAILED', `Service [${service}]: ${path} exists and is not a socket`, {
      service,
      option: 'accept',
      stage: 'listen',
    });
  }
  if (await unixSocketAlive(path)) {
    throw new TunnelError('ERR_TUNNEL_ADDRESS_IN_USE', `Service [${service}]: ${path}: address in use (another process accepts on it)`, {
      service,
      option: 'accept',
      stage: 'listen',
    });
  }
  await unlink(path);
}

function checkNames(services: readonly ServiceOptions[]): void {
  const seen = new Set<string>();
  for (const service of services) {
    if (seen.has(service.name)) {
      throw new TunnelError('ERR_TUNNEL_DUPLICATE_SERVICE', `Service [${service.name}] is defined twice`, { service: service.name });
    }
    seen.add(service.name);
  }
}

/**
 * Creates a tunnel for a set of services. Every service is checked and its
 * TLS material loaded now, so a bad configuration throws here (`TunnelError`
 * with the service and option); `listen()` then binds.
 */
export function createTunnel(options: TunnelOptions): Tunnel {
  const emitter = new EventEmitter();
  const logger = options.logger;
  const globalLog = bindLog(logger, options.debug ?? 5, undefined, undefined);
  checkNames(options.services);
  let pending: PreparedService[] = options.services.map(prepareService);
  const running = new Map<string, Running>();
  const active = new Map<Socket, AbortController>();
  const drained = new Set<() => void>();
  let listening = false;
  const admission = createAdmission(options.maxConnections);
  // For activeConnections() (SIGUSR2): what was known at accept time; byte counts are read from the socket on demand.
  const described = new Map<Socket, ConnectionOpenEvent & { since: Date }>();
  const emitTls = (event: TlsHandshakeEvent) => {
    emitter.emit('tlsHandshake', event);
    if (tlsChannel.hasSubscribers) tlsChannel.publish(event);
  };
  const emitFailure = (event: HandshakeFailureEvent) => {
    emitter.emit('handshakeFailure', event);
    if (tlsFailureChannel.hasSubscribers) tlsFailureChannel.publish(event);
  };
  // The data path stays lean: a connection asks at the moment of its handshake whether anyone listens.
  const observer = {
    tls: () => (emitter.listenerCount('tlsHandshake') > 0 || tlsChannel.hasSubscribers ? emitTls : undefined),
    failure: () => (emitter.listenerCount('handshakeFailure') > 0 || tlsFailureChannel.hasSubscribers ? emitFailure : undefined),
  };

  const handle = (serviceName: string, socket: Socket) => {
    const entry = running.get(serviceName);
    if (entry === undefined) return void socket.destroy();
    // stunnel sets TCP_NODELAY on every socket before any byte of the handshake.
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    socket.on('error', () => {});
    const prepared = entry.prepared;
    const refusal = admission.admit(prepared.options, socket.remoteAddress);
    if (refusal !== undefined) return refuseAtAccept(prepared.name, prepared.level, socket, refusal);
    const id = prepared.nextId();
    const peer = {
      address: socket.remoteAddress ?? 'unix',
      port: socket.remotePort ?? 0,
      family: socket.remoteFamily ?? 'unix',
    };
    const shutdown = new AbortController();
    active.set(socket, shutdown);
    const log = bindLog(logger, prepared.level, prepared.name, id);
    log.notice(
      `Service [${prepared.name}] accepted connection from ${socket.remoteAddress === undefined ? 'a Unix socket' : `${peer.family === 'IPv6' ? `[${peer.address}]` : peer.address}:${peer.port}`}`,
    );
    const open: ConnectionOpenEvent = { id, service: prepared.name, peer };
    emitter.emit('connectionOpen', open);
    if (openChannel.hasSubscribers) openChannel.publish(open);
    described.set(socket, { ...open, since: new Date() });
    void runConnection({ service: prepared, id, local: socket, peer, logger, shutdown: shutdown.signal, observer }).then(
      (closed: ConnectionCloseEvent) => {
        active.delete(socket);
        admission.release(prepared.name);
        described.delete(socket);
        emitter.emit('connectionClose', closed);
        if (closeChannel.hasSubscribers) closeChannel.publish(closed);
        if (active.size === 0) for (const wake of drained) wake();
      },
    );
  };

  /**
   * maxConnections / connectionRate: the connection is closed before any byte is read, politely (FIN, not RST),
   * so a TLS client sees the peer close instead of a reset. What it already sent is drained and dropped; a peer
   * that keeps sending is cut off after a second.
   */
  const refuseAtAccept = (service: string, level: PreparedService['level'], socket: Socket, refusal: Refusal) => {
    const peer = { address: socket.remoteAddress ?? 'unix', port: socket.remotePort ?? 0, family: socket.remoteFamily ?? 'unix' };
    const from =
      socket.remoteAddress === undefined ? 'a Unix socket' : `${peer.family === 'IPv6' ? `[${peer.address}]` : peer.address}:${peer.port}`;
    bindLog(logger, level, service, undefined).log(
      4,
      `Service [${service}] refused connection from ${from}: ${refusal.code}: ${refusal.reason}`,
      refusal.code,
    );
    const event: ConnectionRefusedEvent = { service, peer, code: refusal.code, reason: refusal.reason };
    emitter.emit('connectionRefused', event);
    socket.resume();
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const bindOne = async (prepared: PreparedService, address: AcceptAddress): Promise<Listener> => {
    const service = prepared.name;
    if ('path' in address) await removeStaleSocket(address.path, service);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
    server.on('connection', (socket) => handle(service, socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        const code = error.code === 'EADDRINUSE' ? 'ERR_TUNNEL_ADDRESS_IN_USE' : 'ERR_TUNNEL_LISTEN_FAILED';
        reject(
          new TunnelError(code, `Service [${service}]: binding ${describeAccept(address)}: ${error.message}`, {
            service,
            option: 'accept',
            stage: 'listen',
            cause: error,
          }),
        );
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      const listenHook = prepared.options.hooks?.listen;
      if ('path' in address) server.listen({ path: address.path });
      else if (listenHook === undefined) server.listen({ host: address.host ?? '::', port: address.port });
      else
        listenHook(server, { host: address.host ?? '::', port: address.port }).catch((error: NodeJS.ErrnoException) => {
          // Hooks report errno-style codes such as ERR_TUNNEL_OS_EADDRINUSE.
          const inUse = error.code === 'EADDRINUSE' || String(error.code).endsWith('_EADDRINUSE');
          onError(Object.assign(error, { code: inUse ? 'EADDRINUSE' : error.code }));
        });
    });
    server.on('error', (error) => globalLog.error(`Service [${service}]: listener error: ${error.message}`));
    if ('path' in address && address.mode !== undefined) await chmod(address.path, address.mode);
    globalLog.info(`Service [${service}] (FD=?) bound to ${describeAccept(address)}`);
    return { key: acceptKey(address), server, path: 'path' in address ? address.path : undefined };
  };

  const closeListener = (listener: Listener) =>
    new Promise<void>((resolve) => {
      listener.server.close(() => resolve());
    });

  const bindService = async (prepared: PreparedService, keep: Map<string, Listener>): Promise<Listener[]> => {
    const listeners: Listener[] = [];
    try {
      for (const address of prepared.options.accept) {
        const kept = keep.get(acceptKey(address));
        if (kept !== undefined) {
          keep.delete(kept.key);
          listeners.push(kept);
        } else listeners.push(await bindOne(prepared, address));
      }
    } catch (error) {
      await Promise.all(listeners.filter((l) => !keep.has(l.key)).map(closeListener));
      throw error;
    }
    return listeners;
  };

  const start = async (services: PreparedService[]) => {
    const previous = new Map(running);
    const next = new Map<string, Running>();
    try {
      for (const prepared of services) {
        const old = previous.get(prepared.name);
        const keep = new Map((old?.listeners ?? []).map((l) => [l.key, l]));
        await prepared.resolve(bindLog(logger, prepared.level, prepared.name, undefined));
        const listeners = await bindService(prepared, keep);
        next.set(prepared.name, { prepared, listeners });
      }
    } catch (error) {
      const keptServers = new Set([...previous.values()].flatMap((r) => r.listeners.map((l) => l.server)));
      await Promise.all([...next.values()].flatMap((r) => r.listeners.filter((l) => !keptServers.has(l.server)).map(closeListener)));
      throw error;
    }
    const used = new Set([...next.values()].flatMap((r) => r.listeners.map((l) => l.server)));
    const stale = [...previous.values()].flatMap((r) => r.listeners).filter((l) => !used.has(l.server));
    running.clear();
    for (const [name, entry] of next) running.set(name, entry);
    await Promise.all(stale.map(closeListener));
    for (const entry of next.values()) globalLog.notice(`Service [${entry.prepared.name}] started`);
  };

  const tunnel: Tunnel = {
    async listen() {
      if (listening) return;
      await start(pending);
      listening = true;
    },
    async reload(services) {
      checkNames(services);
      const prepared = services.map(prepareService);
      if (!listening) {
        pending = prepared;
        return;
      }
      await start(prepared);
      globalLog.notice('Configuration reloaded');
    },
    async close(closeOptions: CloseOptions = {}) {
      const listeners = [...running.values()].flatMap((r) => r.listeners);
      running.clear();
      listening = false;
      const closing = Promise.all(listeners.map(closeListener));
      const abortAll = () => {
        for (const controller of active.values()) controller.abort();
      };
      if (closeOptions.graceful === false) abortAll();
      else if (active.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            abortAll();
          }, closeOptions.timeoutMs ?? 10_000);
          const wake = () => {
            clearTimeout(timer);
            drained.delete(wake);
            resolve();
          };
          drained.add(wake);
        });
      }
      if (active.size > 0) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            drained.delete(wake);
            resolve();
          };
          drained.add(wake);
        });
      }
      await closing;
      globalLog.notice('Terminated');
    },
    addresses() {
      const out = new Map<string, (string | { address: string; port: number; family: string })[]>();
      for (const [name, entry] of running) {
        out.set(
          name,
          entry.listeners.map((l) => {
            const address = l.server.address();
            return address ?? l.path ?? '';
          }),
        );
      }
      return out;
    },
    get connections() {
      return active.size;
    },
    activeConnections(): ActiveConnection[] {
      return [...described].map(([socket, open]) => ({ ...open, bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten }));
    },
    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return tunnel;
    },
    off(event, listener) {
      emitter.off(event, listener as (...args: unknown[]) => void);
      return tunnel;
    },
  };
  return tunnel;
}
