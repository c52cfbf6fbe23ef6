import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RunningProcess, startProcess } from '@tunnel/testkit';

/** The tunnel command from source, run through tsx exactly as the published bin runs its build. */
export const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
export const NODE_ARGS = ['--import', 'tsx', BIN];

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tunnel ...args` to completion (bounded by `timeoutMs`). */
export function runTunnel(
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; stdio3?: 'pipe' } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tunnel ${args.join(' ')} did not exit within ${options.timeoutMs ?? 20_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Starts `tunnel FILE` in the foreground and waits until it says every service listens. */
export async function startTunnel(configPath: string, env: NodeJS.ProcessEnv = {}): Promise<RunningProcess> {
  const running = startProcess(process.execPath, [...NODE_ARGS, configPath], { env: { ...process.env, ...env } });
  await running.waitFor(/Configuration successful/, 15_000);
  return running;
}

/** Writes a config file from lines. */
export function writeConfig(path: string, lines: readonly string[]): string {
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
