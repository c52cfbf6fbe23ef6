import { lookup } from 'node:dns/promises';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type Duplex, PassThrough } from 'node:stream';
import { TunnelError } from './errors.js';
import type { BoundLog } from './log.js';
import { reusedReads } from './read-buffer.js';
import type { ConnectionHooks, ConnectTarget, ExecOptions, UpstreamOptions } from './types.js';

/** One concrete address to dial. `name` is the configured host, kept for logs. */
type Address =
  | { readonly address: string; readonly port: number; readonly family: number; readonly name: string }
  | { readonly path: string };

/** Connects upstreams for one service with its failover policy. */
export interface Upstream {
  /** `exec` without `connect`: the program that is this service's upstream (started per connection by the caller). */
  readonly program: ExecOptions | undefined;
  /** Resolves the `connect` names now (start-up). Engages delayed resolution, with a log line, when a name does not resolve. */
  resolve(log: BoundLog): Promise<void>;
  /** Opens a connection to the first target that answers, per the failover policy. */
  connect(options: {
    targets?: readonly ConnectTarget[] | undefined;
    /** The accepted side, for an `openUpstream` hook that binds the client's address. */
    client?: Duplex | undefined;
    timeoutMs: number;
    signal: AbortSignal;
    log: BoundLog;
    /**
     * Read a plain TCP or Unix socket into the process's reused buffer (server mode, where the upstream is the plain
     * side the pump copies to TLS). Not for a socket that becomes a TLS transport, nor one an `openUpstream` hook makes.
     */
    reuseReadBuffer?: boolean | undefined;
  }): Promise<Socket>;
}

/** Formats an address as stunnel logs it: `host:port`, `[v6]:port`, or the socket path. */
export function describeAddress(target: ConnectTarget | Address): string {
  if ('path' in target) return target.path;
  const host = 'address' in target ? target.address : target.host;
  return isIP(host) === 6 ? `[${host}]:${target.port}` : `${host}:${target.port}`;
}

async function resolveTargets(targets: readonly ConnectTarget[]): Promise<Address[]> {
  const out: Address[] = [];
  for (const target of targets) {
    if ('path' in target) {
      out.push(target);
      continue;
    }
    const family = isIP(target.host);
    if (family !== 0) {
      out.push({ address: target.host, port: target.port, family, name: target.host });
      continue;
    }
    try {
      const found = await lookup(target.host, { all: true, verbatim: true });
      for (const entry of found) out.push({ address: entry.address, port: target.port, family: entry.family, name: target.host });
    } catch (error) {
      throw new TunnelError(
        'ERR_TUNNEL_RESOLVE_FAILED',
        `Error resolving "${target.host}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        {
          stage: 'connect',
          option: 'connect',
          cause: error,
        },
      );
    }
  }
  return out;
}

/**
 * Builds the upstream of a service. `rr` starts each new connection at the
 * next address (round robin across connections) and still tries all of them;
 * `prio` always starts at the first. Delayed resolution forces `prio`
 * (stunnel: "Delayed resolver inflicts failover = prio").
 */
export function createUpstream(options: UpstreamOptions, service: string, hooks?: ConnectionHooks): Upstream {
  let delayed = options.delay === true;
  let addresses: Address[] | undefined;
  let next = 0;

  const open = hooks?.openUpstream;
  /** Dials through the application's `openUpstream` hook, bounded by the same timeout and signal as a plain dial. */
  const dialHook = (
    address: Extract<Address, { address: string }>,
    client: Duplex | undefined,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Socket> => {
    const attempt = new AbortController();
    const stop = () => attempt.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    const timer = setTimeout(
      () =>
        attempt.abort(
          new TunnelError('ERR_TUNNEL_TIMEOUT_CONNECT', `s_connect: ${describeAddress(address)}: timeout after ${timeoutMs} ms`, {
            service,
            stage: 'connect',
          }),
        ),
      timeoutMs,
    );
    const hookSignal = attempt.signal;
    const aborted = new Promise<never>((_, reject) =>
      hookSignal.addEventListener('abort', () => reject(hookSignal.reason), { once: true }),
    );
    const opened = (open as NonNullable<typeof open>)(
      { host: address.address, port: address.port, family: address.family },
      { client: client ?? new PassThrough(), local: options.local, signal: hookSignal },
    );
    opened.then(
      (socket) => hookSignal.aborted && socket.destroy(),
      () => {},
    );
    return Promise.race([opened, aborted]).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    });
  };

  const dial = (address: Address, timeoutMs: number, signal: AbortSignal, client: Duplex | undefined, reuse: boolean): Promise<Socket> =>
    open !== undefined && !('path' in address) ? dialHook(address, client, timeoutMs, signal) : dialNet(address, timeoutMs, signal, reuse);

  const dialNet = (address: Address, timeoutMs: number, signal: AbortSignal, reuse: boolean): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const reads = reuse ? reusedReads() : undefined;
      const onread = reads === undefined ? {} : { onread: reads.onread };
      const socket =
        'path' in address
          ? netConnect({ path: address.path, allowHalfOpen: true, ...onread })
          : netConnect({
              host: address.address,
              port: address.port,
              family: address.family,
              allowHalfOpen: true,
              noDelay: true,
              ...onread,
              ...(options.local === undefined ? {} : { localAddress: options.local }),
            });
      reads?.attach(socket);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('connect', onConnect);
        socket.off('error', finish);
        if (error === undefined) resolve(socket);
        else {
          socket.destroy();
          reject(error);
        }
      };
      const onConnect = () => finish();
      const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const timer = setTimeout(
        () =>
          finish(
            new TunnelError('ERR_TUNNEL_TIMEOUT_CONNECT', `s_connect: ${describeAddress(address)}: timeout after ${timeoutMs} ms`, {
              service,
              stage: 'connect',
            }),
          ),
        timeoutMs,
      );
      socket.once('connect', onConnect);
      socket.once('error', finish);
      signal.addEventListener('abort', onAbort, { once: true });
    });

  return {
    program: options.connect.length === 0 ? options.exec : undefined,
    async resolve(log) {
      if (delayed) return;
      try {
        addresses = await resolveTargets(options.connect);
      } catch (error) {
        delayed = true;
        log.notice(`Service [${service}]: ${(error as Error).message}; delayed resolver engaged (failover = prio)`);
      }
    },
    async connect({ targets, client, timeoutMs, signal, log, reuseReadBuffer }) {
      const fixed = targets !== undefined;
      let list: Address[];
      if (fixed) list = await resolveTargets(targets);
      else if (delayed || addresses === undefined) list = await resolveTargets(options.connect);
      else list = addresses;
      if (list.length === 0)
        throw new TunnelError('ERR_TUNNEL_NO_TARGET', `Service [${service}]: no connect target`, { service, stage: 'connect' });
      const roundRobin = !fixed && !delayed && (options.failover ?? 'rr') === 'rr';
      const start = roundRobin ? next++ % list.length : 0;
      const failures: string[] = [];
      for (let i = 0; i < list.length; i += 1) {
        signal.throwIfAborted();
        const address = list[(start + i) % list.length] as Address;
        log.info(`s_connect: connecting ${describeAddress(address)}`);
        try {
          const socket = await dial(address, timeoutMs, signal, client, reuseReadBuffer === true);
          log.notice(`s_connect: connected ${describeAddress(address)}`);
          return socket;
        } catch (error) {
          if (signal.aborted) throw error;
          const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
          failures.push(`${describeAddress(address)}: ${reason}`);
          log.error(`s_connect: connect ${describeAddress(address)}: ${(error as Error).message}`, reason);
        }
      }
      log.error('No more addresses to connect', 'ERR_TUNNEL_CONNECT_FAILED');
      throw new TunnelError('ERR_TUNNEL_CONNECT_FAILED', `Service [${service}]: no upstream answered (${failures.join('; ')})`, {
        service,
        stage: 'connect',
      });
    },
  };
}
