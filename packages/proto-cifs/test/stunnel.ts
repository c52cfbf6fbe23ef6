import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { listen, type RunningProcess, startProcess } from '@tunnel/testkit';

/** A port that was free a moment ago (the OS picked it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs Debian's stunnel4 in the foreground with one service, logging to stderr. */
export async function startStunnel(dir: string, name: string, service: Record<string, string>): Promise<RunningProcess> {
  const lines = [
    'foreground = yes',
    'pid =',
    'debug = debug',
    `[${name}]`,
    ...Object.entries(service).map(([key, value]) => `${key} = ${value}`),
  ];
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const child = startProcess('stunnel4', [file]);
  await child.waitFor(/Configuration successful/, 10_000);
  return child;
}
