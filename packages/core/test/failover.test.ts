import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Pki, makePki, tempDir, timed } from '@tunnel/testkit';
import { bannerServer, deadPort, exchange, startTunnel, tlsClient } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});

test.after(() => dir.remove());

async function banners(port: number, times: number): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < times; i += 1) {
    const client = await tlsClient({ host: '127.0.0.1', port });
    seen.push((await exchange(client, Buffer.alloc(0))).toString().trim());
  }
  return seen;
}

test(
  'failover = rr spreads connections across live targets and skips a dead one',
  timed(async () => {
    const a = await bannerServer('A');
    const b = await bannerServer('B');
    const dead = await deadPort();
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'rr',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [
          { host: '127.0.0.1', port: a.port },
          { host: '127.0.0.1', port: dead },
          { host: '127.0.0.1', port: b.port },
        ],
        failover: 'rr',
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      const seen = await banners(port(), 6);
      assert.equal(seen, ['A', 'B', 'B', 'A', 'B', 'B']);
      assert.match(logger.text(), new RegExp(`s_connect: connect 127\\.0\\.0\\.1:${dead}: .*ECONNREFUSED`));
    } finally {
      await tunnel.close({ graceful: false });
      await Promise.all([a.close(), b.close()]);
    }
  }),
);

test(
  'failover = prio always starts with the first target and falls back past a dead one',
  timed(async () => {
    const a = await bannerServer('A');
    const b = await bannerServer('B');
    const dead = await deadPort();
    const { tunnel, port } = await startTunnel([
      {
        name: 'prio',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [
          { host: '127.0.0.1', port: dead },
          { host: '127.0.0.1', port: a.port },
          { host: '127.0.0.1', port: b.port },
        ],
        failover: 'prio',
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      assert.equal(await banners(port(), 3), ['A', 'A', 'A']);
      assert.is(b.count(), 0);
    } finally {
      await tunnel.close({ graceful: false });
      await Promise.all([a.close(), b.close()]);
    }
  }),
);

test(
  'a host name resolving to several addresses tries them all (localhost: ::1 and 127.0.0.1)',
  timed(async () => {
    const a = await bannerServer('V4', '127.0.0.1');
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'multi',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: 'localhost', port: a.port }],
        failover: 'prio',
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      assert.equal(await banners(port(), 2), ['V4', 'V4']);
      assert.match(logger.text(), /s_connect: connected 127\.0\.0\.1:/);
      const { lookup } = await import('node:dns/promises');
      const all = await lookup('localhost', { all: true, verbatim: true });
      if (all.some((entry) => entry.address === '::1'))
        assert.match(logger.text(), new RegExp(`s_connect: connect \\[::1\\]:${a.port}: .*ECONNREFUSED`));
    } finally {
      await tunnel.close({ graceful: false });
      await a.close();
    }
  }),
);

test(
  'a name that does not resolve at start-up engages the delayed resolver with a log line, and the connection fails cleanly',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'later',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: 'no-such-host.invalid', port: 1 }],
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      assert.match(logger.text(), /delayed resolver engaged/);
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      client.on('error', () => {});
      await exchange(client, Buffer.alloc(0)).catch(() => undefined);
      await logger.waitFor(/LOG3\[\d+\]: connect: Error resolving "no-such-host\.invalid"/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'local = sets the source address of upstream connections',
  timed(async () => {
    const { createServer } = await import('node:net');
    let from = '';
    const server = createServer((socket) => {
      from = socket.remoteAddress ?? '';
      socket.end('hi\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    const upstreamPort = typeof address === 'object' && address !== null ? address.port : 0;
    const { tunnel, port } = await startTunnel([
      {
        name: 'src',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: upstreamPort }],
        local: '127.0.0.2',
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      await banners(port(), 1);
      assert.is(from, '127.0.0.2');
    } finally {
      await tunnel.close({ graceful: false });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }),
);

test.run();
