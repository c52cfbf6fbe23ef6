import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, connectTcp, echoServer, makePki, randomPayload, sha256, tempDir, timed } from '@tunnel/testkit';
import { startTunnel } from './helpers.js';
import { exchange } from './helpers.js';

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

/** client tunnel (plain in) → compressed TLS → server tunnel → echo. */
async function pair(method: 'deflate' | 'zlib') {
  const server = await startTunnel([
    {
      name: 'z-server',
      mode: 'server',
      accept: [{ host: '127.0.0.1', port: 0 }],
      connect: [{ host: '127.0.0.1', port: echo.port }],
      cert: readFileSync(pki.combined('server')),
      compression: method,
    },
  ]);
  const client = await startTunnel([
    {
      name: 'z-client',
      mode: 'client',
      accept: [{ host: '127.0.0.1', port: 0 }],
      connect: [{ host: '127.0.0.1', port: server.port() }],
      compression: method,
    },
  ]);
  return {
    port: client.port(),
    server,
    close: async () => {
      await client.tunnel.close({ graceful: false });
      await server.tunnel.close({ graceful: false });
    },
  };
}

for (const method of ['deflate', 'zlib'] as const) {
  test(
    `compression = ${method}: interactive ping-pong never stalls waiting for more input`,
    timed(async () => {
      const tunnels = await pair(method);
      try {
        const socket = await connectTcp(tunnels.port);
        for (let i = 0; i < 20; i += 1) {
          socket.write(`ping ${i}\n`);
          const [chunk] = (await once(socket, 'data')) as [Buffer];
          assert.is(chunk.toString(), `ping ${i}\n`);
        }
        socket.destroy();
      } finally {
        await tunnels.close();
      }
    }, 5000),
  );

  test(
    `compression = ${method}: 4 MB of compressible and random bulk data arrive intact`,
    timed(async () => {
      const tunnels = await pair(method);
      try {
        const payload = Buffer.concat([Buffer.alloc(2 * 1024 * 1024, 'tunnel '), randomPayload(2 * 1024 * 1024)]);
        const back = await exchange(await connectTcp(tunnels.port), payload);
        assert.is(sha256(back), sha256(payload));
        await tunnels.server.logger.waitFor(/Connection closed: \d+ byte\(s\) sent to TLS, \d+ byte\(s\) sent to socket/);
        assert.match(tunnels.server.logger.text(), /4194304 byte\(s\) sent to socket/);
      } finally {
        await tunnels.close();
      }
    }, 15_000),
  );
}

test.run();
