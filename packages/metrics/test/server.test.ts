import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { createTunnel, type Tunnel } from '@tunnel/core';
import { type EchoServer, type Pki, echoServer, makePki, run, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMetrics, type MetricsServer, renderPrometheus, startMetricsServer } from '../src/index.js';

const dir = tempDir();
let pki: Pki;
let echo: EchoServer;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  echo = await echoServer();
});
test.after(async () => {
  await echo.close();
  dir.remove();
});

/** The TCP port a service of a tunnel listens on. */
function portOf(tunnel: Tunnel, service: string): number {
  const first = tunnel.addresses().get(service)?.[0];
  if (first === undefined || typeof first === 'string') throw new Error(`no TCP listener for ${service}`);
  return first.port;
}

/** curl's status line and body. */
async function curl(url: string, ...extra: string[]): Promise<{ status: number; body: string; type: string }> {
  const out = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code} %{content_type}', ...extra, url]);
  const cut = out.lastIndexOf('\n');
  const [status, ...type] = out.slice(cut + 1).split(' ');
  return { status: Number(status), body: out.slice(0, cut), type: type.join(' ') };
}

/** Sends `size` bytes through TLS, reads the echo, closes. */
async function transfer(port: number, size: number): Promise<void> {
  const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
  await once(socket, 'secureConnect');
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.end(Buffer.alloc(size, 1));
  await once(socket, 'end');
  assert.is(received, size);
  socket.destroy();
}

test(
  'curl scrapes exact connection and byte figures of a real tunnel, and health says ok',
  timed(async () => {
    const tunnel = createTunnel({
      services: [
        {
          name: 'web',
          mode: 'server',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [{ host: '127.0.0.1', port: echo.port }],
          cert: readFileSync(pki.combined('server')),
        },
      ],
    });
    const metrics = createMetrics();
    const detach = metrics.observe(tunnel);
    await tunnel.listen();
    let server: MetricsServer | undefined;
    try {
      server = await startMetricsServer({
        port: 0,
        collect: () => renderPrometheus([{ labels: {}, snapshot: metrics.snapshot() }]),
        healthy: () => true,
      });
      const port = portOf(tunnel, 'web');
      const closed = new Promise<void>((resolve) => {
        let count = 0;
        tunnel.on('connectionClose', () => ++count === 5 && resolve());
      });
      for (const size of [1, 10, 100, 1000, 10_000]) await transfer(port, size);
      await closed;
      const base = `http://127.0.0.1:${server.address.port}`;
      const scraped = await curl(`${base}/metrics`);
      assert.is(scraped.status, 200);
      assert.is(scraped.type, 'text/plain; version=0.0.4; charset=utf-8');
      const lines = scraped.body.split('\n');
      for (const expected of [
        'tunnel_connections_accepted_total{service="web"} 5',
        'tunnel_connections_active{service="web"} 0',
        'tunnel_connections_closed_total{service="web"} 5',
        'tunnel_received_bytes_total{service="web"} 11111',
        'tunnel_sent_bytes_total{service="web"} 11111',
        'tunnel_tls_handshakes_total{service="web",version="TLSv1.2"} 5',
        'tunnel_connection_duration_seconds_count{service="web"} 5',
      ])
        assert.ok(lines.includes(expected), `${expected} in\n${scraped.body}`);
      const health = await curl(`${base}/health`);
      assert.is(health.status, 200);
      assert.is(health.body, 'ok\n');
    } finally {
      detach();
      await server?.close();
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'health answers 503 while shutting down; unknown paths 404, other methods 405, a failed collect 500 with its code',
  timed(async () => {
    let healthy = false;
    const server = await startMetricsServer({
      port: 0,
      healthy: () => healthy,
      collect: () => {
        throw new Error('worker 2 did not answer');
      },
    });
    try {
      const base = `http://127.0.0.1:${server.address.port}`;
      assert.is((await curl(`${base}/health`)).status, 503);
      healthy = true;
      assert.is((await curl(`${base}/health?x=1`)).status, 200);
      assert.is((await curl(`${base}/nope`)).status, 404);
      assert.is((await curl(`${base}/metrics`, '-X', 'POST')).status, 405);
      const failed = await curl(`${base}/metrics`);
      assert.is(failed.status, 500);
      assert.match(failed.body, /^ERR_TUNNEL_METRICS_COLLECT: cannot collect metrics: worker 2 did not answer/);
    } finally {
      await server.close();
    }
  }),
);

test(
  'a port in use is refused with ERR_TUNNEL_METRICS_LISTEN',
  timed(async () => {
    const first = await startMetricsServer({ port: 0, healthy: () => true, collect: () => '' });
    try {
      const error = await startMetricsServer({ port: first.address.port, healthy: () => true, collect: () => '' }).then(
        () => undefined,
        (e: { code: string; message: string }) => e,
      );
      assert.is(error?.code, 'ERR_TUNNEL_METRICS_LISTEN');
      assert.match(error?.message ?? '', /EADDRINUSE/);
    } finally {
      await first.close();
    }
  }),
);

test(
  'observeChannels counts a tunnel nobody attached to, through the diagnostics channels',
  timed(async () => {
    const metrics = createMetrics();
    const detach = metrics.observeChannels();
    const tunnel = createTunnel({
      services: [
        {
          name: 'chan',
          mode: 'server',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [{ host: '127.0.0.1', port: echo.port }],
          cert: readFileSync(pki.combined('server')),
        },
      ],
    });
    await tunnel.listen();
    try {
      const closed = new Promise((resolve) => tunnel.on('connectionClose', resolve));
      await transfer(portOf(tunnel, 'chan'), 42);
      await closed;
      const figures = metrics.snapshot().services.chan;
      assert.is(figures?.accepted, 1);
      assert.is(figures?.bytesReceived, 42);
      assert.is(figures?.handshakes['TLSv1.2'], 1);
    } finally {
      detach();
      await tunnel.close({ graceful: false });
    }
  }),
);

test.run();
