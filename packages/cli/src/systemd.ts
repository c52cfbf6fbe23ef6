import type { ServiceOptions } from '@tunnel/core';
import { sendDatagram, socketLocalAddress } from '@tunnel/os';

/**
 * systemd integration without libsystemd: sd_notify(3) messages on
 * `NOTIFY_SOCKET` (READY/RELOADING/STOPPING/WATCHDOG) and socket activation
 * (sd_listen_fds(3): `LISTEN_PID`, `LISTEN_FDS`, `LISTEN_FDNAMES`; inherited
 * descriptors start at 3).
 */

/** The first inherited descriptor (SD_LISTEN_FDS_START). */
const LISTEN_FDS_START = 3;
/** More inherited sockets than this is not a configuration anybody writes; refuse to scan further. */
const MAX_LISTEN_FDS = 256;

type Say = (level: 3 | 4 | 5 | 6 | 7, message: string) => void;

/** Tells systemd about the service's state; every method is a no-op without `NOTIFY_SOCKET`. */
export interface SystemdNotifier {
  /** Whether a notification socket was given. */
  readonly active: boolean;
  ready(status?: string): void;
  reloading(): void;
  stopping(): void;
  /** Stops the watchdog timer. */
  close(): void;
}

/**
 * Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC`/`WATCHDOG_PID` (systemd.service(5)).
 * The watchdog is pinged at half its interval, as sd_watchdog_enabled(3)
 * advises, from the moment the notifier is created. A failing send is
 * logged once and never stops the tunnel.
 */
export function systemdNotifier(say: Say, env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
  const socket = env.NOTIFY_SOCKET;
  if (socket === undefined || socket === '') {
    return { active: false, ready() {}, reloading() {}, stopping() {}, close() {} };
  }
  let warned = false;
  const send = (message: string) => {
    try {
      sendDatagram(socket, message);
    } catch (error) {
      if (!warned) say(4, `systemd notification to ${socket} failed: ${(error as Error).message}`);
      warned = true;
    }
  };
  let watchdog: NodeJS.Timeout | undefined;
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === '' || Number(env.WATCHDOG_PID) === process.pid;
  if (Number.isFinite(usec) && usec > 0 && forUs) {
    const everyMs = Math.max(1, Math.floor(usec / 2000));
    watchdog = setInterval(() => send('WATCHDOG=1'), everyMs);
    watchdog.unref();
  }
  return {
    active: true,
    ready: (status) => send(`READY=1\nMAINPID=${process.pid}${status === undefined ? '' : `\nSTATUS=${status}`}`),
    // Type=notify-reload wants the CLOCK_MONOTONIC time of the reload request with RELOADING=1.
    reloading: () => send(`RELOADING=1\nMONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`),
    stopping: () => send('STOPPING=1'),
    close: () => {
      if (watchdog !== undefined) clearInterval(watchdog);
    },
  };
}

/** A socket systemd passed to this process. */
export interface InheritedSocket {
  readonly fd: number;
  /** Its `FileDescriptorName=` (LISTEN_FDNAMES), or `unknown`. */
  readonly name: string;
  readonly address: { readonly address: string; readonly port: number } | { readonly path: string } | undefined;
}

/**
 * The sockets of socket activation, when `LISTEN_PID` names this process. The
 * variables are removed afterwards (as sd_listen_fds(1) does with
 * unset_environment) so programs tunnel starts (`exec`) do not take them for theirs.
 */
export function inheritedSockets(env: NodeJS.ProcessEnv = process.env): InheritedSocket[] {
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== process.pid) return [];
  const count = Number(env.LISTEN_FDS);
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (!Number.isInteger(count) || count <= 0) return [];
  const out: InheritedSocket[] = [];
  for (let index = 0; index < Math.min(count, MAX_LISTEN_FDS); index++) {
    const fd = LISTEN_FDS_START + index;
    let address: InheritedSocket['address'];
    try {
      address = socketLocalAddress(fd);
    } catch {
      address = undefined;
    }
    out.push({ fd, name: names[index] || 'unknown', address });
  }
  return out;
}

const ANY = new Set(['::', '0.0.0.0']);

/** Whether an `accept` host (undefined = all addresses) names the address a socket is bound to. */
function sameHost(accept: string | undefined, bound: string): boolean {
  const want = accept ?? '::';
  if (ANY.has(want) && ANY.has(bound)) return true;
  const unmapped = bound.startsWith('::ffff:') ? bound.slice(7) : bound;
  return want === bound || want === unmapped || (want === 'localhost' && (bound === '127.0.0.1' || bound === '::1'));
}

/**
 * Socket activation: a service whose TCP `accept` address matches an
 * inherited socket listens on that descriptor instead of binding (through
 * core's `hooks.listen`). Sockets that match no service are reported so a
 * unit/config mismatch is visible. Returns the services, changed where used.
 */
export function useInheritedSockets(services: readonly ServiceOptions[], sockets: readonly InheritedSocket[], say: Say): ServiceOptions[] {
  if (sockets.length === 0) return [...services];
  const unused = new Set(sockets);
  const result = services.map((service) => {
    const matches = new Map<string, InheritedSocket>();
    for (const accept of service.accept) {
      if ('path' in accept) continue;
      const socket = [...unused].find(
        (s) => s.address !== undefined && 'port' in s.address && s.address.port === accept.port && sameHost(accept.host, s.address.address),
      );
      if (socket === undefined) continue;
      unused.delete(socket);
      matches.set(`${accept.host ?? '::'}:${accept.port}`, socket);
      say(
        5,
        `Service [${service.name}]: using the socket systemd passed (fd ${socket.fd}, ${socket.name}) for ${accept.host ?? '::'}:${accept.port}`,
      );
    }
    if (matches.size === 0) return service;
    const fallback = service.hooks?.listen;
    return {
      ...service,
      hooks: {
        ...service.hooks,
        listen: async (server: Parameters<NonNullable<typeof fallback>>[0], address: { host: string; port: number }) => {
          const socket = matches.get(`${address.host}:${address.port}`);
          if (socket === undefined) {
            if (fallback !== undefined) return fallback(server, address);
            server.listen({ host: address.host, port: address.port });
            return;
          }
          server.listen({ fd: socket.fd });
        },
      },
    };
  });
  for (const socket of unused) {
    const where =
      socket.address === undefined
        ? 'an unknown address'
        : 'path' in socket.address
          ? socket.address.path
          : `${socket.address.address}:${socket.address.port}`;
    say(4, `The socket systemd passed as fd ${socket.fd} (${socket.name}, ${where}) matches no service's accept address; it stays unused`);
  }
  return result;
}
