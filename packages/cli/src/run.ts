import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { Config } from '@tunnel/config-parser';
import { createTunnel, type LogLevel, serveConnection } from '@tunnel/core';
import { dropPrivileges, resolveGroup, resolveUser } from '@tunnel/os';
import type { ConfigSource } from './args.js';
import { BUILTIN_PROTOCOLS } from './builtins.js';
import { type BuiltService, buildServices } from './build-services.js';
import { notifyParentReady } from './daemon.js';
import { CliError } from './errors.js';
import { startExecConnect } from './exec.js';
import { applyGlobalEffects, applySocketOwnership, globalRefusals } from './global-options.js';
import { type LogSinks, openLogSinks } from './log-sinks.js';
import { readConfig } from './read-config.js';
import { resolveProtocol } from './resolve-protocol.js';
import { SetupError } from './setup-error.js';
import { securityWarnings } from './warnings.js';
import { pskFileWarnings } from './tls-extras.js';
import { logSessionEvents } from './sessions.js';
import { createServiceVerifier } from './verifier.js';
import { type CertWatch, startCertWatch } from './cert-watch.js';
import { runPrimary, type ServingOperations, startServingOperations } from './operations.js';
import { inheritedSockets, useInheritedSockets } from './systemd.js';
import { leaveCluster, shareSessionsAcrossWorkers, workerCount, workerId, workerRefusals } from './workers.js';

/**
 * How long SIGTERM/SIGINT/SIGQUIT wait for connections in flight before they
 * are closed: listeners stop at once, transfers get this long to finish.
 */
export const SHUTDOWN_GRACE_MS = 10_000;

/** A configuration turned into running parts, before anything listens. */
export interface Prepared {
  readonly config: Config;
  readonly services: BuiltService[];
}

/** Parses the configuration and builds every service; throws ConfigError / SetupError with every problem. */
export async function prepare(source: ConfigSource): Promise<Prepared> {
  const { config, name } = await readConfig(source);
  const refusals = globalRefusals(config);
  const baseDir = source.kind === 'file' ? dirname(name) : process.cwd();
  try {
    const services = await buildServices(config, {
      readFile: (path) => readFileSync(path),
      resolveProtocol: (protocol) =>
        resolveProtocol(protocol, { builtins: BUILTIN_PROTOCOLS, searchFrom: [baseDir, process.cwd()], baseDir }),
      createVerifier: createServiceVerifier,
    });
    if (refusals.length > 0) throw new SetupError(refusals);
    return { config, services };
  } catch (error) {
    if (error instanceof SetupError && refusals.length > 0) throw new SetupError([...refusals, ...error.issues]);
    throw error;
  }
}

/**
 * Runs tunnel on a configuration until a shutdown signal: opens the log
 * destinations, binds every service, writes the pid file, and handles
 * SIGHUP (reload), SIGUSR1 (reopen the log) and SIGTERM/SIGQUIT/SIGINT.
 * Resolves with the exit status.
 */
export async function runConfiguration(source: ConfigSource, preparedAlready?: Prepared): Promise<number> {
  try {
    return await runServing(source, preparedAlready);
  } catch (error) {
    // A worker that cannot start reports through its exit status (the primary logs it); it must not linger.
    leaveCluster();
    throw error;
  }
}

async function runServing(source: ConfigSource, preparedAlready?: Prepared): Promise<number> {
  const prepared = preparedAlready ?? (await prepare(source));
  const { config } = prepared;
  const sinks = openLogSinks({
    stderr: config.globals.foreground === true,
    output: config.globals.output,
    // Workers add their lines to the primary's file: only the primary may truncate it (log = overwrite).
    mode: workerId() === undefined ? config.globals.log : 'append',
    syslog: config.globals.syslog,
    ident: config.globals.service,
    facility: config.globals.debug.facility,
    syslogSocket: process.env.TUNNEL_SYSLOG_SOCKET,
    format: config.globals.logFormat,
    fields: workerId() === undefined ? undefined : { worker: workerId() },
  });
  const debug = config.globals.debug.level as LogLevel;
  const say = (level: LogLevel, message: string) => {
    if (level <= debug) sinks.write({ level, time: new Date(), id: undefined, service: undefined, message });
  };
  try {
    applyGlobalEffects(config, say);
  } catch (error) {
    // An open syslog sink would keep the process alive after the setup error (seen with fips = yes).
    await sinks.close();
    throw error;
  }
  logSessionEvents(say);
  for (const warning of securityWarnings(config.services)) say(4, warning);
  for (const warning of pskFileWarnings(config.services)) say(4, warning);

  const workers = workerCount(config.globals.workers);
  const inherited = inheritedSockets();
  if (workers !== undefined) {
    const refusals = workerRefusals(config.inetd, prepared.services, inherited.length, source.kind === 'fd');
    if (refusals.length > 0) {
      await sinks.close();
      throw new CliError('ERR_TUNNEL_WORKERS_UNSUPPORTED', refusals.join('\n'));
    }
  }
  if (config.inetd) return serveInetd(prepared, sinks);
  if (workers !== undefined && workerId() === undefined) {
    const pid = config.globals.pid === undefined || config.globals.pid === '' ? undefined : config.globals.pid;
    const services = prepared.services.length;
    return runPrimary({ config, count: workers, services, sinks, say, pidFile: pid, graceMs: SHUTDOWN_GRACE_MS });
  }

  const tunnel = createTunnel({
    services: useInheritedSockets(await shareSessionsAcrossWorkers(prepared.services), inherited, say),
    logger: sinks,
    debug,
    maxConnections: config.globals.maxConnections,
  });
  // A worker leaves the pid file to its primary.
  const pidFile =
    config.globals.pid === undefined || config.globals.pid === '' || workerId() !== undefined ? undefined : config.globals.pid;
  let current = prepared;
  let operations: ServingOperations | undefined;
  let certWatch: CertWatch | undefined;
  let ready = false;
  let stopRequested: NodeJS.Signals | undefined;
  let stopping = false;
  // connect+exec services: their programs run from start-up until shutdown (stunnel does not restart them on reload either).
  const programs = new AbortController();
  let resolveExit: (status: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });

  const stop = async (signal: NodeJS.Signals) => {
    stopRequested = signal;
    // A signal during start-up is acted on once the listeners are up (below), never by the default action.
    if (!ready || stopping) return;
    stopping = true;
    operations?.stopping();
    certWatch?.stop();
    say(5, `Received signal ${signal}; terminating`);
    programs.abort();
    await tunnel.close({ graceful: true, timeoutMs: SHUTDOWN_GRACE_MS });
    await operations?.close();
    if (pidFile !== undefined) removePidFile(pidFile, (message) => say(4, message));
    await sinks.close();
    resolveExit(0);
    leaveCluster();
  };
  const reload = async () => {
    if (!ready) return;
    say(5, 'Received signal SIGHUP; reloading configuration');
    operations?.reloading();
    try {
      const next = await prepare(source);
      warnAboutFixedGlobals(current.config, next.config, (message) => say(4, message));
      await tunnel.reload(await shareSessionsAcrossWorkers(next.services));
      current = next;
      say(5, 'Configuration reloaded');
      operations?.reloaded(true);
    } catch (error) {
      say(3, `Reload failed, the old configuration stays in force: ${describe(error)}`);
      operations?.reloaded(false);
    }
  };
  // Handlers go in before anything is announced: a signal that arrives between "listening" and the
  // handler would otherwise take the default action and kill the process.
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', () => void stop('SIGTERM')],
    ['SIGINT', () => void stop('SIGINT')],
    ['SIGQUIT', () => void stop('SIGQUIT')],
    ['SIGHUP', () => void reload()],
    [
      'SIGUSR1',
      () => {
        sinks.reopen();
        say(5, 'Log file reopened');
      },
    ],
    ['SIGUSR2', () => operations?.listConnections()],
  ];
  for (const [signal, handler] of handlers) process.on(signal, handler);

  try {
    operations = await startServingOperations({ config, tunnel, sinks, say, debug, healthy: () => ready && !stopping });
    await tunnel.listen();
  } catch (error) {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    await operations?.close();
    await sinks.close();
    throw error;
  }
  applySocketOwnership(prepared.services);
  // stunnel's order: bind, chroot, pid file (inside the jail), then setgid/setuid. Names are resolved
  // before the chroot: inside the jail /etc/passwd and /etc/group are usually gone.
  const group = config.globals.setgid === undefined ? undefined : resolveGroup(config.globals.setgid);
  const user = config.globals.setuid === undefined ? undefined : resolveUser(config.globals.setuid);
  if (config.globals.chroot !== undefined) dropPrivileges({ chroot: config.globals.chroot });
  if (pidFile !== undefined) writeFileSync(pidFile, `${process.pid}\n`);
  if (group !== undefined || user !== undefined) dropPrivileges({ group, user });
  ready = true;
  certWatch = startCertWatch({
    source,
    current: () => current,
    apply: async (next) => {
      await tunnel.reload(await shareSessionsAcrossWorkers(next.services));
      current = next;
    },
    say,
  });
  const id = workerId();
  // A worker's start is announced by its primary once all workers listen.
  if (id === undefined) say(5, `Configuration successful; ${prepared.services.length} service(s) listening`);
  else say(5, `Worker ${id}: ${prepared.services.length} service(s) listening`);
  if (id === undefined) notifyParentReady();
  operations.ready(`${prepared.services.length} service(s) listening`);
  startExecConnect(
    prepared.services.map((service) => service.options),
    sinks,
    programs.signal,
  );
  if (stopRequested !== undefined) void stop(stopRequested);
  return exited;
}

/** inetd mode: the one connection is on stdin/stdout; tunnel serves it and exits. */
async function serveInetd(prepared: Prepared, sinks: LogSinks): Promise<number> {
  const service = prepared.services[0];
  if (service === undefined) throw new CliError('ERR_TUNNEL_INETD', 'inetd mode needs the service options in the global section');
  const stream = Duplex.from({ readable: process.stdin, writable: process.stdout });
  const result = await serveConnection({ service: service.options, stream, logger: sinks, peer: stdinPeer() });
  await sinks.close();
  return result.error === undefined ? 0 : 1;
}

/**
 * The client behind stdin when inetd handed over the accepted socket itself (stunnel: getpeername on fd 0), so logs
 * and an `exec` program's REMOTE_HOST/REMOTE_PORT name it; undefined for a pipe or a terminal.
 */
function stdinPeer(): { address: string; port: number; family: string } | undefined {
  const socket = process.stdin as Partial<Pick<Socket, 'remoteAddress' | 'remotePort' | 'remoteFamily'>>;
  if (typeof socket.remoteAddress !== 'string') return undefined;
  return { address: socket.remoteAddress, port: socket.remotePort ?? 0, family: socket.remoteFamily ?? 'IPv4' };
}

/** stunnel keeps these globals from the first start across SIGHUP; say so when the new file changes them. */
function warnAboutFixedGlobals(before: Config, after: Config, warn: (message: string) => void): void {
  for (const option of ['chroot', 'foreground', 'pid', 'setgid', 'setuid', 'workers', 'metrics', 'logFormat'] as const) {
    if (JSON.stringify(before.globals[option]) !== JSON.stringify(after.globals[option])) {
      warn(`${option} cannot change on reload; the value from start-up stays in force until a restart`);
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof SetupError || (error as { issues?: unknown }).issues !== undefined) return (error as Error).message;
  const code = (error as { code?: string }).code;
  return code === undefined ? (error as Error).message : `${code}: ${(error as Error).message}`;
}

/** After setuid the pid file may no longer be removable (stunnel has the same limit); say so instead of failing the exit. */
function removePidFile(path: string, warn: (message: string) => void): void {
  try {
    rmSync(path, { force: true });
  } catch (error) {
    warn(`cannot remove the pid file ${path}: ${(error as Error).message}`);
  }
}
