import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { ServiceConfig } from '@tunnel/config-parser';
import type { LogLevel, ServiceOptions } from '@tunnel/core';
import { clusterSessionStore, type SessionStore } from '@tunnel/sessions';
import { type MetricsSnapshot, renderPrometheus } from '@tunnel/metrics';
import { CliError } from './errors.js';

/**
 * `workers = N | auto`: a primary process forks N workers with node:cluster.
 * Workers run the whole configuration; their `server.listen` goes through
 * cluster, so the primary holds each listening socket once and hands
 * connections round-robin to the workers (cluster.SCHED_RR, Linux default).
 *
 * The primary serves nothing itself: it writes the pid file, owns its own log
 * lines (start, worker deaths, restarts — each worker logs its connections to
 * the same destinations itself, tagged `worker`), forwards signals, restarts a
 * worker that dies with a growing pause, and gathers the workers' metrics.
 */

/** The environment variable that gives a worker its stable slot number (1…N), kept across restarts. */
const WORKER_ENV = 'TUNNEL_WORKER_ID';
/** Every IPC message of ours carries this key; others (sessions, cluster internals) are left alone. */
const TAG = 'tunnelWorker';
/** How long a scrape waits for a worker's figures before leaving it out. */
const METRICS_REPLY_MS = 2000;
/** How long start-up waits for every worker to listen. */
const START_TIMEOUT_MS = 60_000;
/** Restart pause after a quick death: doubles per quick death in a row, up to the maximum. */
const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 30_000;
/** A worker that lived at least this long died "unexpectedly", not "in a loop": the pause starts over. */
const STABLE_AFTER_MS = 10_000;

type Say = (level: LogLevel, message: string) => void;

type ToPrimary =
  | { readonly [TAG]: 1; readonly type: 'ready' }
  | { readonly [TAG]: 1; readonly type: 'reloaded'; readonly ok: boolean }
  | { readonly [TAG]: 1; readonly type: 'metrics'; readonly seq: number; readonly snapshot: MetricsSnapshot | undefined };
type ToWorker = { readonly [TAG]: 1; readonly type: 'metrics?'; readonly seq: number };

/** This process's worker slot, when it is a tunnel cluster worker. */
export function workerId(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const id = Number(process.env[WORKER_ENV]);
  return Number.isInteger(id) && id > 0 ? id : undefined;
}

/** True in a cluster worker that the tunnel primary forked. */
export function isTunnelWorker(): boolean {
  return workerId() !== undefined;
}

/** `workers =` as a number of processes (`auto` = the CPUs Node may use), or undefined for one process. */
export function workerCount(setting: number | 'auto' | undefined): number | undefined {
  if (setting === undefined) return undefined;
  return setting === 'auto' ? availableParallelism() : setting;
}

/** What workers cannot do; each string is one reason the configuration is refused. */
export function workerRefusals(
  inetd: boolean,
  services: readonly { options: ServiceOptions; config: { socket?: readonly { side: string }[] } }[],
  inherited: number,
  fromDescriptor = false,
): string[] {
  const out: string[] = [];
  if (fromDescriptor) out.push('workers: a configuration read from a descriptor (-fd) cannot be read again by every worker; use a file');
  if (inetd) out.push('workers: inetd mode serves the one connection on stdin/stdout; there is nothing to share between workers');
  if (inherited > 0) out.push('workers: systemd socket activation passes sockets to one process; run one tunnel per socket unit instead');
  for (const { options, config } of services) {
    if (options.accept.some((a) => 'path' in a)) {
      out.push(`workers: service [${options.name}] accepts on a Unix socket; workers share TCP listeners only`);
    }
    if ((config.socket ?? []).some((s) => s.side === 'a')) {
      out.push(
        `workers: service [${options.name}] sets socket = a:…, which binds outside node:cluster; workers cannot share that listener`,
      );
    }
  }
  return out;
}

/** The worker's side of the IPC: tell the primary when listening and reloaded, answer metrics requests. */
export interface WorkerLink {
  ready(): void;
  reloaded(ok: boolean): void;
  close(): void;
}

export function linkToPrimary(snapshot: () => MetricsSnapshot | undefined): WorkerLink {
  const send = (message: ToPrimary) => {
    if (process.connected) process.send?.(message);
  };
  const onMessage = (message: ToWorker) => {
    if (message?.[TAG] === 1 && message.type === 'metrics?') send({ [TAG]: 1, type: 'metrics', seq: message.seq, snapshot: snapshot() });
  };
  process.on('message', onMessage);
  return {
    ready: () => send({ [TAG]: 1, type: 'ready' }),
    reloaded: (ok) => send({ [TAG]: 1, type: 'reloaded', ok }),
    close: () => process.off('message', onMessage),
  };
}

interface Slot {
  readonly id: number;
  worker: Worker | undefined;
  started: number;
  quickDeaths: number;
  ready: boolean;
  restart: NodeJS.Timeout | undefined;
  /** How many times this slot's worker was started again after dying. */
  restarts: number;
}

/** The running primary. */
export interface Primary {
  /** Resolves once every worker listens; rejects when one cannot start (the others are stopped). */
  readonly started: Promise<void>;
  /** SIGHUP/SIGUSR1/SIGUSR2 to every live worker. */
  forward(signal: NodeJS.Signals): void;
  /** SIGHUP to every worker; resolves when each said it reloaded (or after `timeoutMs`), with how many failed. */
  reload(timeoutMs: number): Promise<{ failed: number; missing: number }>;
  /** The exposition text with every worker's figures labelled `worker="N"`. */
  collect(): Promise<string>;
  /** SIGTERM to every worker; resolves when all exited (SIGKILL after `timeoutMs`). */
  stop(timeoutMs: number): Promise<void>;
  readonly count: number;
}

/** Forks `count` workers running this same command, and keeps them running. */
export function startPrimary(count: number, say: Say): Primary {
  const slots: Slot[] = Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    worker: undefined,
    started: 0,
    quickDeaths: 0,
    ready: false,
    restart: undefined,
    restarts: 0,
  }));
  let stopping = false;
  let starting = true;
  let seq = 0;
  const pending = new Map<number, (message: ToPrimary) => void>();
  const reloads = new Set<(slot: Slot, ok: boolean) => void>();
  let settleStart: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const started = new Promise<void>((resolve, reject) => {
    settleStart = { resolve, reject };
  });
  const startTimer = setTimeout(() => failStart(`the workers did not all listen within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);

  const failStart = (reason: string) => {
    if (!starting) return;
    starting = false;
    clearTimeout(startTimer);
    stopping = true;
    for (const slot of slots) {
      if (slot.restart !== undefined) clearTimeout(slot.restart);
      slot.worker?.process.kill('SIGTERM');
    }
    settleStart?.reject(new CliError('ERR_TUNNEL_WORKER_START', reason));
  };

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    slot.ready = false;
    slot.started = Date.now();
    // TUNNEL_DAEMON_CHILD=0: a worker of a background primary is not itself the daemon child that reports to the parent.
    const worker = cluster.fork({ [WORKER_ENV]: String(slot.id), TUNNEL_DAEMON_CHILD: '0' });
    slot.worker = worker;
    // An IPC send to a worker that is going away fails here; its 'exit' follows and is handled there.
    worker.on('error', (error) => say(4, `Worker ${slot.id}: ${error.message}`));
    worker.on('message', (message: ToPrimary) => {
      if (message?.[TAG] !== 1) return;
      if (message.type === 'ready') {
        slot.ready = true;
        if (!starting) say(5, `Worker ${slot.id} (pid ${worker.process.pid}) listening`);
        if (starting && slots.every((s) => s.ready)) {
          starting = false;
          clearTimeout(startTimer);
          settleStart?.resolve();
        }
      } else if (message.type === 'reloaded') for (const wake of reloads) wake(slot, message.ok);
      else if (message.type === 'metrics') pending.get(message.seq)?.(message);
    });
    worker.on('exit', (code, signal) => {
      if (slot.worker === worker) slot.worker = undefined;
      slot.ready = false;
      for (const wake of reloads) wake(slot, false);
      const how = signal === null ? `status ${code}` : `signal ${signal}`;
      if (stopping) return;
      if (starting) return failStart(`worker ${slot.id} exited during start-up (${how}); its error is in the log above`);
      const lived = Date.now() - slot.started;
      slot.quickDeaths = lived >= STABLE_AFTER_MS ? 0 : slot.quickDeaths + 1;
      const pause = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** Math.max(0, slot.quickDeaths - 1));
      say(
        3,
        `Worker ${slot.id} (pid ${worker.process.pid}) died (${how}) after ${Math.round(lived / 1000)} s; restarting it in ${pause} ms`,
      );
      slot.restarts += 1;
      slot.restart = setTimeout(() => fork(slot), pause);
    });
  };

  for (const slot of slots) fork(slot);

  const live = () => slots.filter((s) => s.worker?.isConnected() === true);

  return {
    started,
    count,
    forward(signal) {
      for (const slot of live()) slot.worker?.process.kill(signal);
    },
    reload(timeoutMs) {
      const waiting = new Set(live().filter((s) => s.ready));
      let failed = 0;
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          reloads.delete(wake);
          resolve({ failed, missing: waiting.size });
        };
        const wake = (slot: Slot, ok: boolean) => {
          if (!waiting.delete(slot)) return;
          if (!ok) failed += 1;
          if (waiting.size === 0) done();
        };
        const timer = setTimeout(done, timeoutMs);
        reloads.add(wake);
        if (waiting.size === 0) return done();
        for (const slot of waiting) slot.worker?.process.kill('SIGHUP');
      });
    },
    async collect() {
      const answers = await Promise.all(
        live()
          .filter((s) => s.ready)
          .map(
            (slot) =>
              new Promise<{ slot: Slot; snapshot: MetricsSnapshot | undefined }>((resolve) => {
                const id = ++seq;
                const timer = setTimeout(() => {
                  pending.delete(id);
                  resolve({ slot, snapshot: undefined });
                }, METRICS_REPLY_MS);
                pending.set(id, (message) => {
                  clearTimeout(timer);
                  pending.delete(id);
                  resolve({ slot, snapshot: message.type === 'metrics' ? message.snapshot : undefined });
                });
                const request: ToWorker = { [TAG]: 1, type: 'metrics?', seq: id };
                slot.worker?.send(request);
              }),
          ),
      );
      const sources = answers
        .filter((a): a is { slot: Slot; snapshot: MetricsSnapshot } => a.snapshot !== undefined)
        .sort((a, b) => a.slot.id - b.slot.id)
        .map((a) => ({ labels: { worker: String(a.slot.id) }, snapshot: a.snapshot }));
      const up = answers.filter((a) => a.snapshot !== undefined).length;
      const restarts = slots.map((slot) => `tunnel_worker_restarts_total{worker="${slot.id}"} ${slot.restarts}`);
      return [
        renderPrometheus(sources).trimEnd(),
        '# HELP tunnel_workers_up Workers that answered this scrape.',
        '# TYPE tunnel_workers_up gauge',
        `tunnel_workers_up ${up}`,
        '# HELP tunnel_workers_configured Workers the configuration asks for.',
        '# TYPE tunnel_workers_configured gauge',
        `tunnel_workers_configured ${count}`,
        '# HELP tunnel_worker_restarts_total Times the primary started a worker again after it died.',
        '# TYPE tunnel_worker_restarts_total counter',
        ...restarts,
        '',
      ].join('\n');
    },
    async stop(timeoutMs) {
      stopping = true;
      clearTimeout(startTimer);
      for (const slot of slots) if (slot.restart !== undefined) clearTimeout(slot.restart);
      const running = slots
        .map((s) => s.worker)
        .filter((w): w is Worker => w !== undefined && w.process.exitCode === null && w.process.signalCode === null);
      await Promise.all(
        running.map(
          (worker) =>
            new Promise<void>((resolve) => {
              const kill = setTimeout(() => worker.process.kill('SIGKILL'), timeoutMs);
              worker.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

const clusterStores = new Map<string, { settings: string; store: SessionStore; keys: Buffer | undefined }>();

/**
 * In a worker, server services that use the per-process session cache (no
 * `sessiond`) share one cache and one set of ticket keys through the
 * primary instead (@tunnel/sessions' cluster store), so a client resumes its
 * session whichever worker the next connection lands on. Stores are kept per
 * service across reloads. Outside a worker the options are returned as they are.
 */
export async function shareSessionsAcrossWorkers(
  services: readonly { options: ServiceOptions; config: ServiceConfig }[],
): Promise<ServiceOptions[]> {
  if (!isTunnelWorker()) return services.map((s) => s.options);
  return Promise.all(
    services.map(async ({ options, config }) => {
      if (config.client || !config.sessionResume || config.sessiond !== undefined) return options;
      const ttlSeconds = config.sessionCacheTimeout > 0 ? config.sessionCacheTimeout : 1;
      const settings = JSON.stringify([config.sessionCacheSize, ttlSeconds]);
      let kept = clusterStores.get(options.name);
      if (kept?.settings !== settings) {
        const store = clusterSessionStore({ namespace: options.name, maxEntries: config.sessionCacheSize, ttlSeconds });
        // ticketKeySecret/ticketMacSecret fix the keys already: every worker derives the same ones.
        const fixed = config.ticketKeySecret !== undefined && config.ticketMacSecret !== undefined;
        kept = { settings, store, keys: fixed ? undefined : await store.ticketKeys() };
        clusterStores.set(options.name, kept);
      }
      return { ...options, sessionStore: kept.store, ...(kept.keys === undefined ? {} : { ticketKeys: kept.keys }) };
    }),
  );
}

/**
 * Ends a worker's part in the cluster once it has stopped (or failed to
 * start): the IPC channel would otherwise keep it alive. `worker.disconnect()`
 * marks the exit as intended, so the exit status set by the command stands
 * (a bare `process.disconnect()` makes node:cluster exit 0). A handle some
 * library left open cannot hold the worker longer than a few seconds.
 */
export function leaveCluster(): void {
  if (!isTunnelWorker()) return;
  setImmediate(() => {
    if (cluster.worker?.isConnected()) cluster.worker.disconnect();
    setTimeout(() => process.exit(), 3000).unref();
  });
}
