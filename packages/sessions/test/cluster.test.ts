import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterSessionStore, serveClusterSessions } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-worker.ts', import.meta.url));

/** Sends an order and waits for the worker's next report. */
async function order(worker: Worker, message: Record<string, unknown>): Promise<Record<string, unknown>> {
  // The store's own requests to the primary arrive on the same channel: skip them.
  const reply = new Promise<Record<string, unknown>>((resolve) => {
    const onMessage = (report: Record<string, unknown>) => {
      if (report?.tunnelSessions === 1) return;
      worker.off('message', onMessage);
      resolve(report);
    };
    worker.on('message', onMessage);
  });
  worker.send(message);
  return reply;
}

async function fork(): Promise<Worker> {
  const worker = cluster.fork();
  const [ready] = await once(worker, 'message');
  assert.equal(ready, { ready: true });
  return worker;
}

test(
  'two forked workers share sessions and ticket keys through the primary; a silent primary is a quick miss',
  timed(async () => {
    cluster.setupPrimary({ exec: FIXTURE, execArgv: ['--import', 'tsx'], silent: false });
    const serving = await serveClusterSessions();
    const workers = [await fork(), await fork()];
    const [a, b] = workers as [Worker, Worker];
    try {
      const id = 'aa'.repeat(32);
      const session = `3081a3${'42'.repeat(64)}`;
      const keysA = await order(a, { do: 'keys' });
      const keysB = await order(b, { do: 'keys' });
      assert.is(String(keysA.keys).length, 96);
      assert.is(keysA.keys, keysB.keys, 'one set of ticket keys for the whole cluster');
      assert.equal(await order(a, { do: 'set', id, session }), { stored: true });
      const found = await order(b, { do: 'get', id });
      assert.is(found.found, session, 'worker B finds the session worker A made');
      assert.is((await order(b, { do: 'get', id: 'bb'.repeat(32) })).found, null);

      serving.close();
      const silent = await order(b, { do: 'get', id });
      assert.is(silent.found, null);
      assert.ok(Number(silent.ms) < 1000, `bounded wait: ${String(silent.ms)} ms`);
      assert.equal(silent.events, ['degraded']);
    } finally {
      serving.close();
      for (const worker of workers) {
        const exited = once(worker, 'exit');
        worker.send({ do: 'exit' });
        await exited;
      }
    }
  }, 30_000),
);

test('clusterSessionStore outside a worker (no IPC channel) is refused with ERR_TUNNEL_SESSIONS_BAD_ARGUMENT', () => {
  try {
    clusterSessionStore({ namespace: 'x', process: { send: undefined } as unknown as NodeJS.Process });
    assert.unreachable('accepted');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SESSIONS_BAD_ARGUMENT');
  }
});

test.run();
