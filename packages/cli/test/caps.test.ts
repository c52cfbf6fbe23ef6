/**
 * maxConnections and connectionRate through the real tunnel CLI: a TLS flood against a backend that measures how
 * many connections it serves at once.
 */
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { freePort, listen, makePki, type Pki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

const dir = tempDir('tunnel-caps-');
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

/** A backend that answers each line after `holdMs` and records the highest number of connections open at once. */
async function countingBackend(holdMs: number) {
  let open = 0;
  let peak = 0;
  let served = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    open += 1;
    peak = Math.max(peak, open);
    socket.on('error', () => {});
    socket.once('data', (chunk) => {
      setTimeout(() => {
        served += 1;
        socket.end(chunk);
      }, holdMs);
    });
    socket.on('close', () => {
      open -= 1;
      sockets.delete(socket);
    });
  });
  const port = await listen(server);
  return {
    port,
    stats: () => ({ peak, served, open }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Tries a client every 100 ms until one is served or `ms` have passed; the last outcome. */
async function servedWithin(port: number, ms: number): Promise<'served' | 'refused'> {
  const deadline = Date.now() + ms;
  for (;;) {
    const outcome = await tlsClient(port);
    if (outcome === 'served' || Date.now() > deadline) return outcome;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One TLS client: 'served' when its line comes back, 'refused' when the tunnel closes it first. */
function tlsClient(port: number): Promise<'served' | 'refused'> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, servername: 'localhost' });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('refused');
    }, 15_000);
    let reply = '';
    socket.on('secureConnect', () => socket.write('ping\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(reply === 'ping\n' ? 'served' : 'refused');
    });
  });
}

test(
  'maxConnections = 10 under a flood of 200 TLS connections: never more than 10 served at once, the rest refused and logged, service still up',
  timed(async () => {
    const backend = await countingBackend(150);
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'cap.conf'), [
      'foreground = yes',
      'syslog = no',
      '[capped]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${backend.port}`,
      `cert = ${pki.combined('server')}`,
      'maxConnections = 10',
    ]);
    const tunnel = await startTunnel(file);
    try {
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => tlsClient(port)));
      const served = outcomes.filter((outcome) => outcome === 'served').length;
      const refused = outcomes.length - served;
      const { peak } = backend.stats();
      assert.ok(peak <= 10, `the backend saw ${peak} connections at once`);
      assert.ok(peak >= 2, `the flood overlapped (peak ${peak})`);
      assert.ok(served >= 10, `${served} served`);
      assert.ok(refused > 0, `${refused} refused`);
      assert.is(backend.stats().served, served);
      await tunnel.waitFor(
        /refused connection from 127\.0\.0\.1:\d+: ERR_TUNNEL_MAX_CONNECTIONS: 10 connections in flight \(maxConnections = 10\)/,
        5000,
      );
      // The flood is over: every slot is free again.
      const after = await Promise.all(Array.from({ length: 10 }, () => tlsClient(port)));
      assert.equal(after, new Array(10).fill('served'));
    } finally {
      await tunnel.stop();
      await backend.close();
    }
  }, 60_000),
);

test(
  'global maxConnections caps all services together',
  timed(async () => {
    const backend = await countingBackend(400);
    const [portA, portB] = [await freePort(), await freePort()];
    const file = writeConfig(join(dir.path, 'global-cap.conf'), [
      'foreground = yes',
      'syslog = no',
      'maxConnections = 2',
      '[a]',
      `accept = 127.0.0.1:${portA}`,
      `connect = 127.0.0.1:${backend.port}`,
      `cert = ${pki.combined('server')}`,
      '[b]',
      `accept = 127.0.0.1:${portB}`,
      `connect = 127.0.0.1:${backend.port}`,
      `cert = ${pki.combined('server')}`,
    ]);
    const tunnel = await startTunnel(file);
    try {
      const first = [tlsClient(portA), tlsClient(portB)];
      await new Promise((resolve) => setTimeout(resolve, 150));
      const third = await tlsClient(portB);
      assert.is(third, 'refused');
      assert.equal(await Promise.all(first), ['served', 'served']);
      await tunnel.waitFor(/ERR_TUNNEL_MAX_CONNECTIONS: 2 connections in flight \(global maxConnections = 2\)/, 5000);
      // A client sees its close a moment before the tunnel has finished the connection and freed its slot.
      assert.is(await servedWithin(portB, 3000), 'served');
    } finally {
      await tunnel.stop();
      await backend.close();
    }
  }, 30_000),
);

test(
  'connectionRate = 5/60 serves a burst of 5 from one address and refuses the rest of the burst',
  timed(async () => {
    const backend = await countingBackend(0);
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'rate.conf'), [
      'foreground = yes',
      'syslog = no',
      '[rated]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${backend.port}`,
      `cert = ${pki.combined('server')}`,
      'connectionRate = 5/60',
    ]);
    const tunnel = await startTunnel(file);
    try {
      const outcomes: string[] = [];
      for (let i = 0; i < 8; i += 1) outcomes.push(await tlsClient(port));
      assert.equal(outcomes, ['served', 'served', 'served', 'served', 'served', 'refused', 'refused', 'refused']);
      await tunnel.waitFor(/ERR_TUNNEL_CONNECTION_RATE: more than 5 connections in 60 s from 127\.0\.0\.1/, 5000);
    } finally {
      await tunnel.stop();
      await backend.close();
    }
  }, 30_000),
);

test.run();
