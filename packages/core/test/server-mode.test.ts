import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, echoServer, makePki, randomPayload, sha256, tempDir, timed } from '@tunnel/testkit';
import { exchange, startTunnel, tlsClient } from './helpers.js';

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

test(
  'server mode carries 10 MB both ways from a Node TLS client to a plain backend with matching checksums',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'echo',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      const payload = randomPayload(10 * 1024 * 1024);
      const back = await exchange(client, payload);
      assert.is(back.length, payload.length);
      assert.is(sha256(back), sha256(payload));
      await logger.waitFor(/Connection closed: 10485760 byte\(s\) sent to TLS, 10485760 byte\(s\) sent to socket/);
      assert.match(logger.text(), /LOG5\[\d+\]: Service \[echo\] accepted connection from 127\.0\.0\.1:\d+/);
      assert.match(logger.text(), /TLS accepted: new session negotiated/);
    } finally {
      await tunnel.close();
    }
  }, 20_000),
);

test.run();
