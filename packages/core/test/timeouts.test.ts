import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, connectTcp, echoServer, makePki, startProcess, tempDir, timed } from '@tunnel/testkit';
import type { Protocol } from '../src/index.js';
import { deadPort, gone, startTunnel, tlsClient } from './helpers.js';

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

const cert = () => readFileSync(pki.combined('server'));

test(
  'TIMEOUTbusy ends a TLS handshake that never starts',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'busy',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: cert(),
        timeouts: { busy: 0.3 },
      },
    ]);
    try {
      const raw = await connectTcp(port());
      raw.on('error', () => {});
      const started = Date.now();
      raw.resume();
      await gone(raw);
      assert.ok(Date.now() - started >= 250);
      await logger.waitFor(/LOG3\[\d+\]: tls: TIMEOUTbusy exceeded/);
      raw.destroy();
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'TIMEOUTbusy aborts a protocol dialogue waiting for data, through the context signal',
  timed(async () => {
    const waiting: Protocol = {
      name: 'waiting',
      contract: 1,
      modes: ['server'],
      async postTls(ctx) {
        await ctx.local.readLine();
      },
    };
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'busy2',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: cert(),
        protocol: waiting,
        timeouts: { busy: 0.3 },
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      client.on('error', () => {});
      client.resume();
      await gone(client);
      await logger.waitFor(/LOG3\[\d+\]: postTls: TIMEOUTbusy exceeded/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'TIMEOUTidle closes a connection that carries no data',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'idle',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: cert(),
        timeouts: { idle: 0.4 },
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      client.on('error', () => {});
      client.write('one');
      const [chunk] = (await once(client, 'data')) as [Buffer];
      assert.is(chunk.toString(), 'one');
      const started = Date.now();
      await gone(client);
      assert.ok(Date.now() - started >= 350);
      await logger.waitFor(/TIMEOUTidle exceeded/);
      await logger.waitFor(/Connection reset: 3 byte\(s\) sent to TLS, 3 byte\(s\) sent to socket/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }),
);

test(
  'TIMEOUTclose ends a half-closed connection whose other side stays quiet',
  timed(async () => {
    const sockets = new Set<Socket>();
    const silent = createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const address = silent.address();
    const silentPort = typeof address === 'object' && address !== null ? address.port : 0;
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'close',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: silentPort }],
        cert: cert(),
        timeouts: { close: 0.4, idle: 30 },
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      client.on('error', () => {});
      client.resume();
      const started = Date.now();
      client.end('bye');
      await gone(client);
      assert.ok(Date.now() - started >= 350);
      await logger.waitFor(/TIMEOUTclose exceeded/);
    } finally {
      await tunnel.close({ graceful: false });
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }),
);

test(
  'TIMEOUTconnect gives up on an upstream that never answers the SYN',
  timed(async () => {
    // A listener with a full accept queue that never accepts: further SYNs are dropped, so connect() hangs.
    const blackhole = startProcess('python3', [
      '-c',
      'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)',
    ]);
    const match = await blackhole.waitFor(/(\d+)/);
    const holePort = Number(match[1]);
    const fillers: Socket[] = [];
    try {
      for (let i = 0; i < 3; i += 1) {
        const filler = (await import('node:net')).connect({ port: holePort, host: '127.0.0.1' });
        filler.on('error', () => {});
        fillers.push(filler);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const { tunnel, port, logger } = await startTunnel([
        {
          name: 'connect',
          mode: 'server',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [{ host: '127.0.0.1', port: holePort }],
          cert: cert(),
          timeouts: { connect: 0.4 },
        },
      ]);
      try {
        const client = await tlsClient({ host: '127.0.0.1', port: port() });
        client.on('error', () => {});
        client.resume();
        await gone(client);
        await logger.waitFor(/s_connect: connect 127\.0\.0\.1:\d+: s_connect: 127\.0\.0\.1:\d+: timeout after 400 ms/);
        await logger.waitFor(/LOG3\[\d+\]: connect: .*ERR_TUNNEL_TIMEOUT_CONNECT|No more addresses to connect/);
      } finally {
        await tunnel.close({ graceful: false });
      }
    } finally {
      for (const filler of fillers) filler.destroy();
      await blackhole.stop();
    }
  }),
);

for (const reset of [true, false]) {
  test(
    `reset = ${reset ? 'yes closes an errored connection with a TCP RST' : 'no closes it with a FIN'}`,
    timed(async () => {
      const { tunnel, port } = await startTunnel([
        {
          name: 'rst',
          mode: 'client',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [{ host: '127.0.0.1', port: await deadPort() }],
          reset,
        },
      ]);
      try {
        const raw = await connectTcp(port());
        const outcome = await new Promise<string>((resolve) => {
          raw.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
          raw.once('end', () => resolve('end'));
          raw.resume();
        });
        assert.is(outcome, reset ? 'ECONNRESET' : 'end');
        raw.destroy();
      } finally {
        await tunnel.close({ graceful: false });
      }
    }),
  );
}

test.run();
