import { join } from 'node:path';
import { echoServer, freePort, makePki, type Pki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';
import { curl, echoThrough, sampleValue, waitForCount, tlsOpen } from './ops-helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

test(
  'metrics = PORT: curl scrapes exact connection, byte and handshake counts; health is 200 while serving',
  timed(async () => {
    const echo = await echoServer();
    const [port, metrics] = [await freePort(), await freePort()];
    const file = writeConfig(join(dir.path, 'metrics.conf'), [
      'foreground = yes',
      'syslog = no',
      `metrics = ${metrics}`,
      '[web]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
    ]);
    const tunnel = await startTunnel(file);
    try {
      await tunnel.waitFor(new RegExp(`Metrics on http://127\\.0\\.0\\.1:${metrics}/metrics`));
      const sizes = [1, 20, 300, 4000, 50_000];
      for (const size of sizes) await echoThrough(port, size, { maxVersion: 'TLSv1.2' });
      await echoThrough(port, 5, { maxVersion: 'TLSv1.3' });
      await waitForCount(tunnel, /Connection closed/g, 6);
      const total = sizes.reduce((a, b) => a + b, 0) + 5;
      const scraped = await curl(`http://127.0.0.1:${metrics}/metrics`);
      assert.is(scraped.status, 200);
      assert.is(scraped.type, 'text/plain; version=0.0.4; charset=utf-8');
      const table: Array<[string, number]> = [
        ['tunnel_connections_accepted_total{service="web"}', 6],
        ['tunnel_connections_active{service="web"}', 0],
        ['tunnel_connections_closed_total{service="web"}', 6],
        ['tunnel_received_bytes_total{service="web"}', total],
        ['tunnel_sent_bytes_total{service="web"}', total],
        ['tunnel_tls_handshakes_total{service="web",version="TLSv1.2"}', 5],
        ['tunnel_tls_handshakes_total{service="web",version="TLSv1.3"}', 1],
        ['tunnel_connections_refused_total{service="web"}', 0],
      ];
      for (const [name, value] of table) assert.is(sampleValue(scraped.body, name), value, name);
      const health = await curl(`http://127.0.0.1:${metrics}/health`);
      assert.is(health.status, 200);
      assert.is(health.body, 'ok\n');
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 40_000),
);

test(
  'health answers 503 while a stop waits for a connection in flight, and the failed handshake is counted',
  timed(async () => {
    const echo = await echoServer();
    const [port, metrics] = [await freePort(), await freePort()];
    const file = writeConfig(join(dir.path, 'health.conf'), [
      'foreground = yes',
      'syslog = no',
      `metrics = 127.0.0.1:${metrics}`,
      '[web]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
    ]);
    const tunnel = await startTunnel(file);
    try {
      const { connectTcp } = await import('@tunnel/testkit');
      const plain = await connectTcp(port);
      plain.on('error', () => {});
      plain.end('not TLS at all\r\n');
      await tunnel.waitFor(/SSL_accept/, 5000);
      const scraped = await curl(`http://127.0.0.1:${metrics}/metrics`);
      assert.is(sampleValue(scraped.body, 'tunnel_tls_handshake_failures_total{service="web",kind="handshake"}'), 1);
      assert.is(sampleValue(scraped.body, 'tunnel_errors_total{service="web",code="ERR_TUNNEL_TLS_HANDSHAKE"}'), 1);
      plain.destroy();

      const held = await tlsOpen(port);
      held.write('x');
      await new Promise((resolve) => held.once('data', resolve));
      tunnel.child.kill('SIGTERM');
      await tunnel.waitFor(/Received signal SIGTERM/, 5000);
      const health = await curl(`http://127.0.0.1:${metrics}/health`);
      assert.is(health.status, 503);
      held.end();
      assert.is(await tunnel.exited(), 0);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 40_000),
);

test(
  'a metrics port in use stops start-up with a clear error before any service is bound',
  timed(async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'clash.conf'), [
      'foreground = yes',
      'syslog = no',
      `metrics = ${taken}`,
      '[web]',
      `accept = 127.0.0.1:${port}`,
      'connect = 127.0.0.1:1',
      `cert = ${pki.combined('server')}`,
    ]);
    try {
      const { runTunnel } = await import('./helpers.js');
      const result = await runTunnel([file]);
      assert.is(result.code, 1);
      assert.match(result.stderr, /ERR_TUNNEL_METRICS_LISTEN/);
      assert.match(result.stderr, /EADDRINUSE/);
    } finally {
      blocker.close();
    }
  }, 30_000),
);

test.run();
