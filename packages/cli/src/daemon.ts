import { spawn } from 'node:child_process';

/** Set in the environment of the detached child that `foreground = no` starts. */
const DAEMON_CHILD = 'TUNNEL_DAEMON_CHILD';

/** True in the background child of `foreground = no`. */
export function isDaemonChild(): boolean {
  return process.env[DAEMON_CHILD] === '1';
}

/** Tells the waiting parent that every listener is up (no-op when not a daemon child). */
export function notifyParentReady(): void {
  if (isDaemonChild() && process.send !== undefined) {
    process.send({ ready: true });
    process.disconnect?.();
  }
}

/** Tells the waiting parent why start-up failed (no-op when not a daemon child). */
export function notifyParentFailed(message: string): void {
  if (isDaemonChild() && process.send !== undefined) process.send({ error: message });
}

/**
 * `foreground = no`: Node cannot fork, so the same command is started again
 * detached (new session, stdio closed) and this parent waits until the child
 * reports that it listens — exit 0 — or why it failed — exit 1 with the
 * child's message, as stunnel's parent does.
 */
export function startDaemon(argv: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const script = process.argv[1] ?? '';
    const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [DAEMON_CHILD]: '1' },
    });
    let settled = false;
    const finish = (status: number, message?: string) => {
      if (settled) return;
      settled = true;
      if (message !== undefined) process.stderr.write(`${message}\n`);
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolve(status);
    };
    child.on('message', (message: { ready?: boolean; error?: string }) => {
      if (message.ready) finish(0);
      else if (message.error !== undefined) finish(1, message.error);
    });
    child.on('error', (error) => finish(1, `tunnel: cannot start the background process: ${error.message}`));
    child.on('exit', (code, signal) => finish(1, `tunnel: the background process exited during start-up (${signal ?? `status ${code}`})`));
  });
}
