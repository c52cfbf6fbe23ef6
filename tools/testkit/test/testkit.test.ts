import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { makePki, tempDir, timed, echoServer, connectTcp, readAll, socketPair, withTimeout } from '../src/index.js';

test(
  'makePki issues a server certificate for localhost signed by the CA',
  timed(async () => {
    const dir = tempDir();
    try {
      const pki = await makePki({ dir: dir.path });
      const ca = new X509Certificate(pki.read('ca.pem'));
      const server = new X509Certificate(pki.read('server.pem'));
      assert.ok(server.verify(ca.publicKey));
      assert.ok(server.checkHost('localhost'));
      assert.ok(server.checkIP('127.0.0.1'));
    } finally {
      dir.remove();
    }
  }, 20_000),
);

test(
  'echoServer echoes and honours half-close',
  timed(async () => {
    const echo = await echoServer();
    const socket = await connectTcp(echo.port);
    socket.end('hello');
    assert.is((await readAll(socket)).toString(), 'hello');
    await echo.close();
  }),
);

test(
  'socketPair carries bytes both ways and ends the peer',
  timed(async () => {
    const [a, b] = socketPair();
    a.end('ping');
    assert.is((await readAll(b)).toString(), 'ping');
  }),
);

test('withTimeout rejects a promise that never settles', async () => {
  try {
    await withTimeout(new Promise(() => {}), 20, 'never');
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /never did not finish within 20 ms/);
  }
});

test.run();
