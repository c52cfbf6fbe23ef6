import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { echoServer, freePort, makePki, type Pki, randomPayload, readAll, sha256, tempDir, timed, withTimeout } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SHUTDOWN_GRACE_MS } from '../src/run.js';
import { startTunnel, writeConfig } from './helpers.js';

// Zero-downtime reload and graceful shutdown, shown on a real `tunnel` process under a steady load: SIGHUP must not
// fail or corrupt a single transfer, SIGTERM must let transfers in flight finish (up to SHUTDOWN_GRACE_MS) and exit 0.

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

const TRANSFER = 256 * 1024;
const CLIENTS = 4;
const HUPS = 10;
const HUP_EVERY_MS = 300;

const service = (name: string, port: number, backend: number) => [
  `[${name}]`,
  `accept = 127.0.0.1:${port}`,
  `connect = 127.0.0.1:${backend}`,
  `cert = ${pki.combined('server')}`,
];

async function connectTls(port: number): Promise<tls.TLSSocket> {
  const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.ca) });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return socket;
}

/** One checksummed echo transfer of `payload` through the tunnel; resolves with an error description, or undefined. */
async function transfer(port: number, payload: Buffer): Promise<string | undefined> {
  try {
    const socket = await connectTls(port);
    const received = readAll(socket);
    socket.end(payload);
    const echoed = await withTimeout(received, 10_000, 'the echo');
    if (echoed.length !== payload.length) return `${echoed.length} of ${payload.length} bytes came back`;
    if (sha256(echoed) !== sha256(payload)) return 'the echoed bytes differ';
    return undefined;
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

test(
  `ten SIGHUPs under a steady load of ${CLIENTS} clients doing back-to-back 256 KiB transfers fail or corrupt none of them`,
  timed(async () => {
    const echo = await echoServer();
    const [port, extra] = [await freePort(), await freePort()];
    const file = join(dir.path, 'reload-load.conf');
    const head = ['foreground = yes', 'syslog = no', 'debug = notice'];
    writeConfig(file, [...head, ...service('load', port, echo.port)]);
    const tunnel = await startTunnel(file);
    let running = true;
    const failures: string[] = [];
    let done = 0;
    try {
      const payloads = Array.from({ length: CLIENTS }, () => randomPayload(TRANSFER));
      const clients = payloads.map(async (payload) => {
        while (running) {
          const failure = await transfer(port, payload);
          if (failure === undefined) done += 1;
          else failures.push(failure);
        }
      });
      // Let the load settle, then reload ten times; every other reload adds or drops a second service, so the
      // reload swaps real work, not an identical configuration.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = done;
      for (let hup = 1; hup <= HUPS; hup += 1) {
        const services =
          hup % 2 === 1 ? [...service('load', port, echo.port), ...service('extra', extra, echo.port)] : service('load', port, echo.port);
        writeConfig(file, [...head, ...services]);
        tunnel.child.kill('SIGHUP');
        await new Promise((resolve) => setTimeout(resolve, HUP_EVERY_MS));
      }
      await tunnel.waitFor(new RegExp(`(Configuration reloaded[\\s\\S]*){${HUPS}}`), 10_000);
      const during = done - before;
      await new Promise((resolve) => setTimeout(resolve, 500));
      running = false;
      await withTimeout(Promise.all(clients), 15_000, 'the clients');
      console.log(
        `reload under load: ${HUPS} SIGHUPs, ${done} transfers of 256 KiB (${during} while reloading), ${failures.length} failed or corrupted`,
      );
      assert.equal(failures, []);
      assert.ok(during >= HUPS, `only ${during} transfers completed while reloading`);
      assert.not.match(tunnel.output(), /Reload failed/);
    } finally {
      running = false;
      await tunnel.stop();
      await echo.close();
    }
  }, 40_000),
);

test(
  `SIGTERM stops listening at once, lets a transfer in flight finish, closes an idle connection after SHUTDOWN_GRACE_MS (${SHUTDOWN_GRACE_MS} ms) and exits 0 within it plus 1 s`,
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'term.conf'), ['foreground = yes', 'syslog = no', ...service('term', port, echo.port)]);
    const tunnel = await startTunnel(file);
    try {
      // A transfer in flight: half of its payload is sent before SIGTERM, the rest after.
      const payload = randomPayload(4 * 1024 * 1024);
      const busy = await connectTls(port);
      const echoed = readAll(busy);
      busy.write(payload.subarray(0, payload.length / 2));
      // An idle connection that never ends: it must be closed by the grace bound, not earlier and not never.
      const idle = await connectTls(port);
      idle.resume();
      const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(Date.now())));
      idle.on('error', () => {});
      await new Promise((resolve) => setTimeout(resolve, 200));

      const sent = Date.now();
      tunnel.child.kill('SIGTERM');
      await tunnel.waitFor(/Received signal SIGTERM; terminating/, 5000);
      // The listener closes right after the log line; poll until a fresh connection is refused (at most 1 s).
      let refused = false;
      for (let attempt = 0; attempt < 20 && !refused; attempt += 1) {
        refused = await new Promise<boolean>((resolve) => {
          const probe = net.connect({ port, host: '127.0.0.1' });
          probe.once('connect', () => {
            probe.destroy();
            resolve(false);
          });
          probe.once('error', () => resolve(true));
        });
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const refusedAfter = Date.now() - sent;
      assert.ok(refused, 'a new connection is refused within 1 s of SIGTERM');

      busy.end(payload.subarray(payload.length / 2));
      const back = await withTimeout(echoed, 5000, 'the transfer in flight');
      assert.is(back.length, payload.length);
      assert.is(sha256(back), sha256(payload));
      const finished = Date.now() - sent;

      const status = await withTimeout(tunnel.exited(), SHUTDOWN_GRACE_MS + 1000, 'the exit');
      const exitedAfter = Date.now() - sent;
      const idleAfter = (await withTimeout(idleClosed, 1000, 'the idle connection closing')) - sent;
      console.log(
        `shutdown: new connections refused ${refusedAfter} ms after SIGTERM, transfer in flight finished ${finished} ms after SIGTERM, idle connection closed after ${idleAfter} ms, exit ${status} after ${exitedAfter} ms`,
      );
      assert.is(status, 0);
      assert.ok(idleAfter >= SHUTDOWN_GRACE_MS - 1000, `the idle connection was closed after only ${idleAfter} ms`);
      assert.ok(exitedAfter <= SHUTDOWN_GRACE_MS + 1000, `exit after ${exitedAfter} ms`);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, SHUTDOWN_GRACE_MS + 15_000),
);

test.run();
