import { spawn, execFile, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';
import { withTimeout } from './timeout.js';

const execFileAsync = promisify(execFile);

export interface RunningProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves when the output matches `pattern`; rejects after `ms` or when the process exits first. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited(): Promise<number | string>;
  /** Sends SIGTERM, then SIGKILL after 2 s, and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts a real program (openssl, stunnel4, a server) with piped stdio and keeps its output for assertions. */
export function startProcess(command: string, args: readonly string[], options: SpawnOptions = {}): RunningProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const wake of waiters) wake();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.on('error', (error) => {
    text += `\n[spawn error] ${error.message}\n`;
  });
  const exit = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve(code ?? signal ?? -1);
    });
  });
  let exitedFlag = false;
  void exit.then(() => {
    exitedFlag = true;
  });
  return {
    child,
    output: () => text,
    waitFor: (pattern, ms = 5000) =>
      withTimeout(
        new Promise<RegExpMatchArray>((resolve, reject) => {
          const check = () => {
            const match = text.match(pattern);
            if (match) {
              waiters.delete(check);
              resolve(match);
            } else if (exitedFlag || child.exitCode !== null || child.signalCode !== null) {
              waiters.delete(check);
              reject(new Error(`${command} exited before printing ${pattern}; output:\n${text}`));
            }
          };
          waiters.add(check);
          check();
        }),
        ms,
        `${command} to print ${pattern} (output so far:\n${text})`,
      ),
    exited: () => exit,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Runs a program to completion and returns its stdout; throws with stderr when it fails. */
export async function run(
  command: string,
  args: readonly string[],
  options: { input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  const child = execFileAsync(command, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input);
  }
  const { stdout } = await child;
  return stdout;
}

/** The absolute path of `program` on PATH (also the sbin directories), or undefined. */
export async function which(program: string): Promise<string | undefined> {
  try {
    const path = `${process.env.PATH ?? ''}:/usr/sbin:/sbin:/usr/local/sbin`;
    const { stdout } = await execFileAsync('sh', ['-c', `PATH="${path}" command -v "$1"`, 'sh', program]);
    const found = stdout.trim();
    return found === '' ? undefined : found;
  } catch {
    return undefined;
  }
}
