import { setTimeout as sleep } from 'node:timers/promises';
import { runConnection } from './connection.js';
import { TunnelError } from './errors.js';
import { startProgram } from './exec.js';
import { bindLog } from './log.js';
import { prepareService } from './service.js';
import type { ConnectionCloseEvent, Logger, ServiceOptions } from './types.js';

/** The shortest pause between two runs, whatever `retryMs` says: a program (or an upstream) that fails at once cannot spin. */
export const RETRY_MIN_MS = 100;

/** Options of `runExecConnect`. */
export interface ExecConnectOptions {
  /** A service with both `exec` and `connect` (and usually no `accept`): the program is its accepted side. */
  readonly service: ServiceOptions;
  readonly logger?: Logger | undefined;
  /** Aborting stops the program (SIGTERM, SIGKILL after TIMEOUTclose) and ends the loop. */
  readonly signal: AbortSignal;
  /** Called after each run, with its close event (tests count runs with it). */
  readonly onRun?: ((event: ConnectionCloseEvent) => void) | undefined;
}

/**
 * connect+exec (stunnel's "exec and connect options specified together"): starts `exec` now, with its stdin/stdout
 * as the accepted side of one connection to `connect` (client mode: plaintext in the program, TLS toward `connect`).
 * With `exec.retryMs` the program is started again that long after each run ends (stunnel: `retry = yes`, one
 * second; at least `RETRY_MIN_MS`), which bounds the restart rate of a program that exits at once. A program that cannot be started ends
 * the loop with an error line, as stunnel does. Resolves when the loop is over; never rejects after start-up
 * (a refused configuration throws `TunnelError` first).
 */
export async function runExecConnect(options: ExecConnectOptions): Promise<void> {
  const { service, signal } = options;
  const exec = service.exec;
  if (exec === undefined || service.connect.length === 0) {
    throw new TunnelError('ERR_TUNNEL_CONFIG', `Service [${service.name}]: connect+exec needs both exec and connect`, {
      service: service.name,
      option: 'exec',
    });
  }
  const prepared = prepareService(service);
  const serviceLog = bindLog(options.logger, prepared.level, prepared.name, undefined);
  await prepared.resolve(serviceLog);
  while (!signal.aborted) {
    const id = prepared.nextId();
    const log = bindLog(options.logger, prepared.level, prepared.name, id);
    let program: Awaited<ReturnType<typeof startProgram>>;
    try {
      program = await startProgram(exec, { service: prepared.name, closeMs: prepared.timeouts.closeMs, log });
    } catch (error) {
      log.error((error as Error).message, (error as TunnelError).code);
      return;
    }
    log.notice(`Service [${prepared.name}] accepted connection from program ${exec.path}`);
    const closed = await runConnection({
      service: prepared,
      id,
      local: program,
      peer: { address: exec.path, port: 0, family: 'exec' },
      logger: options.logger,
      shutdown: signal,
    });
    options.onRun?.(closed);
    if (exec.retryMs === undefined || signal.aborted) return;
    try {
      await sleep(Math.max(exec.retryMs, RETRY_MIN_MS), undefined, { signal });
    } catch {
      return;
    }
  }
}
