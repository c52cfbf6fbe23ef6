import { freePort, type RunningProcess, startProcess } from '@tunnel/testkit';

/** A private redis-server on 127.0.0.1 with no persistence, in `dir`. */
export interface RedisServer {
  readonly port: number;
  readonly process: RunningProcess;
  stop(): Promise<void>;
}

export async function startRedis(dir: string, port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const running = startProcess('redis-server', [
    '--port',
    String(chosen),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ]);
  await running.waitFor(/Ready to accept connections/, 10_000);
  return { port: chosen, process: running, stop: () => running.stop() };
}
