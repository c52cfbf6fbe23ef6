import { rmSync, writeFileSync } from 'node:fs';
import type { Config } from '@tunnel/config-parser';
import type { LogLevel, Tunnel } from '@tunnel/core';
import { createMetrics, type MetricsServer, renderPrometheus, startMetricsServer } from '@tunnel/metrics';
import { serveClusterSessions } from '@tunnel/sessions';
import { notifyParentReady } from './daemon.js';
import type { LogSinks } from './log-sinks.js';
import { describeActiveConnections, logTunnelEvents } from './observe.js';
import { systemdNotifier } from './systemd.js';
import { linkToPrimary, startPrimary, workerId } from './workers.js';

type Say = (level: LogLevel, message: string) => void;

/**
 * The operational side of a serving process (one process, or one worker):
 * JSON events, metrics, SIGUSR2, systemd notifications or the link to the
 * cluster primary. Everything is off unless its option asks for it.
 */
export interface ServingOperations {
  /** Every listener is up: READY=1 (one process) or "ready" to the primary (worker). */
  ready(status: string): void;
  reloading(): void;
  reloaded(ok: boolean): void;
  stopping(): void;
  /** SIGUSR2: log the connections in flight. */
  listConnections(): void;
  close(): Promise<void>;
}

/** `metrics =` as host and port; the host defaults to loopback (metrics are not for the open network). */
function metricsAddress(config: Config): { host: string; port: number } | undefined {
  const metrics = config.globals.metrics;
  return metrics === undefined ? undefined : { host: metrics.host ?? '127.0.0.1', port: metrics.port };
}

/**
 * Starts what `config` asks for around `tunnel`. The metrics endpoint of a
 * single process is bound here, before the tunnel listens, so a port clash
 * fails start-up before any service is bound; `/health` answers 503 until
 * `healthy()` says the tunnel serves.
 */
export async function startServingOperations(options: {
  readonly config: Config;
  readonly tunnel: Tunnel;
  readonly sinks: LogSinks;
  readonly say: Say;
  readonly debug: LogLevel;
  readonly healthy: () => boolean;
}): Promise<ServingOperations> {
  const { config, tunnel, sinks, say, debug } = options;
  const detachLog = logTunnelEvents(tunnel, sinks, debug);
  const address = metricsAddress(config);
  const recorder = address === undefined ? undefined : createMetrics();
  const detachMetrics = recorder?.observe(tunnel);
  for (const service of config.services) recorder?.declare(service.name);
  const worker = workerId();
  const link = worker === undefined ? undefined : linkToPrimary(() => recorder?.snapshot());
  const notifier = worker === undefined ? systemdNotifier(say) : undefined;
  let endpoint: MetricsServer | undefined;
  if (address !== undefined && recorder !== undefined && worker === undefined) {
    try {
      endpoint = await startMetricsServer({
        ...address,
        collect: () => renderPrometheus([{ labels: {}, snapshot: recorder.snapshot() }]),
        healthy: options.healthy,
      });
    } catch (error) {
      detachLog();
      detachMetrics?.();
      notifier?.close();
      throw error;
    }
    say(5, `Metrics on http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${endpoint.address.port}/metrics`);
  }
  return {
    ready(status) {
      link?.ready();
      notifier?.ready(status);
    },
    reloading: () => notifier?.reloading(),
    reloaded(ok) {
      link?.reloaded(ok);
      notifier?.ready();
    },
    stopping: () => notifier?.stopping(),
    listConnections() {
      for (const line of describeActiveConnections(tunnel.activeConnections())) say(5, line);
    },
    async close() {
      detachLog();
      detachMetrics?.();
      notifier?.close();
      link?.close();
      await endpoint?.close();
    },
  };
}

/**
 * The cluster primary of `workers = N`: forks the workers, writes the pid
 * file once all listen, serves the metrics endpoint with every worker's
 * figures, forwards SIGHUP/SIGUSR1/SIGUSR2 and stops them all on
 * SIGTERM/SIGINT/SIGQUIT. Resolves with the exit status.
 */
export async function runPrimary(options: {
  readonly config: Config;
  readonly count: number;
  readonly services: number;
  readonly sinks: LogSinks;
  readonly say: Say;
  readonly pidFile: string | undefined;
  readonly graceMs: number;
}): Promise<number> {
  const { config, sinks, say, pidFile } = options;
  const notifier = systemdNotifier(say);
  let ready = false;
  let stopping = false;
  let endpoint: MetricsServer | undefined;
  // The cluster session cache lives in the primary, before any worker asks (it is @tunnel/sessions' IPC server).
  const sessions = await serveClusterSessions();
  say(5, `Starting ${options.count} worker(s)`);
  const primary = startPrimary(options.count, say);
  let stopRequested: NodeJS.Signals | undefined;
  let resolveExit: (status: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    resolveExit = resolve;
  });
  const stop = async (signal: NodeJS.Signals) => {
    stopRequested = signal;
    if (!ready || stopping) return;
    stopping = true;
    notifier.stopping();
    say(5, `Received signal ${signal}; stopping ${primary.count} worker(s)`);
    await primary.stop(options.graceMs + 5000);
    await endpoint?.close();
    sessions.close();
    notifier.close();
    if (pidFile !== undefined) {
      try {
        rmSync(pidFile, { force: true });
      } catch (error) {
        say(4, `cannot remove the pid file ${pidFile}: ${(error as Error).message}`);
      }
    }
    say(5, 'Terminated');
    for (const [name, handler] of handlers) process.off(name, handler);
    await sinks.close();
    resolveExit(0);
  };
  const handlers: Array<[NodeJS.Signals, () => void]> = [
    ['SIGTERM', () => void stop('SIGTERM')],
    ['SIGINT', () => void stop('SIGINT')],
    ['SIGQUIT', () => void stop('SIGQUIT')],
    [
      'SIGHUP',
      () => {
        if (!ready || stopping) return;
        say(5, 'Received signal SIGHUP; reloading every worker');
        notifier.reloading();
        void primary.reload(options.graceMs * 3).then(({ failed, missing }) => {
          if (failed + missing === 0) say(5, `Configuration reloaded in ${primary.count} worker(s)`);
          else say(3, `Reload: ${failed} worker(s) kept the old configuration, ${missing} did not answer`);
          notifier.ready();
        });
      },
    ],
    [
      'SIGUSR1',
      () => {
        sinks.reopen();
        say(5, 'Log file reopened');
        primary.forward('SIGUSR1');
      },
    ],
    ['SIGUSR2', () => primary.forward('SIGUSR2')],
  ];
  for (const [name, handler] of handlers) process.on(name, handler);

  try {
    const address = metricsAddress(config);
    if (address !== undefined) {
      endpoint = await startMetricsServer({ ...address, collect: () => primary.collect(), healthy: () => ready && !stopping });
      say(5, `Metrics on http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${endpoint.address.port}/metrics`);
    }
    await primary.started;
  } catch (error) {
    stopping = true;
    await primary.stop(options.graceMs);
    await endpoint?.close();
    sessions.close();
    notifier.close();
    for (const [name, handler] of handlers) process.off(name, handler);
    await sinks.close();
    throw error;
  }
  if (pidFile !== undefined) writeFileSync(pidFile, `${process.pid}\n`);
  ready = true;
  say(5, `Configuration successful; ${options.services} service(s) listening in ${primary.count} worker(s)`);
  notifyParentReady();
  notifier.ready(`${options.services} service(s) in ${primary.count} worker(s)`);
  if (stopRequested !== undefined) void stop(stopRequested);
  return exited;
}
