import type { ServiceConfig } from '@tunnel/config-parser';
import { type ExecOptions, type Logger, type PtyAllocator, runExecConnect, type ServiceOptions } from '@tunnel/core';
import { closeFd, openPty, ptyStream } from '@tunnel/os';

/** stunnel's pause between two runs of a connect+exec program with `retry = yes` (client.c: one second). */
export const RETRY_YES_MS = 1000;

/** `pty = yes`: a pseudo-terminal from @tunnel/os (core makes no system calls Node lacks). */
export const ptyAllocator: PtyAllocator = () => {
  const pty = openPty();
  return { stream: ptyStream(pty.master), slave: pty.slave, path: pty.path, closeSlave: () => closeFd(pty.slave) };
};

/**
 * `exec`, `execArgs`, `pty`, `setEnv`, `retry` → core's `ExecOptions` (undefined without `exec`). stunnel passes the
 * program's stderr to its own stderr only when it logs there (`foreground = yes`); otherwise stderr joins the connection.
 */
export function execOptions(service: ServiceConfig, foreground: boolean | 'quiet'): ExecOptions | undefined {
  if (service.exec === undefined) return undefined;
  const retry = service.retry;
  return {
    path: service.exec,
    args: service.execArgs,
    env: Object.fromEntries(service.setEnv.map((entry) => [entry.name, entry.value])),
    pty: service.pty ? ptyAllocator : undefined,
    stderr: foreground === true ? 'inherit' : 'connection',
    retryMs: retry === true ? RETRY_YES_MS : typeof retry === 'number' ? retry : undefined,
  };
}

/** A connect+exec service (stunnel: exec and connect together, no accept): run by `startExecConnect`, not by a listener. */
export function isExecConnect(service: ServiceOptions): boolean {
  return service.exec !== undefined && service.connect.length > 0;
}

/**
 * Starts every connect+exec service's program loop. Called once the listeners are bound and privileges are dropped,
 * so the programs start inside the chroot jail and as the `setuid` user. Aborting `signal` stops them.
 */
export function startExecConnect(services: readonly ServiceOptions[], logger: Logger, signal: AbortSignal): Promise<void>[] {
  return services.filter(isExecConnect).map((service) =>
    runExecConnect({ service, logger, signal }).catch((error: Error & { code?: string }) => {
      logger.write({
        level: 3,
        time: new Date(),
        id: undefined,
        service: service.name,
        message: `Service [${service.name}]: ${error.message}`,
        code: error.code,
      });
    }),
  );
}
