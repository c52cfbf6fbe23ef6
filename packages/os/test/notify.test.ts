import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeUnixSockaddr, sendDatagram, socketFd, socketLocalAddress } from '../src/index.js';

const dir = tempDir();
test.after(() => dir.remove());

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

test(
  'sendDatagram delivers READY=1 to a Unix datagram socket that socat receives',
  timed(async () => {
    const path = join(dir.path, 'notify.sock');
    const receiver = startProcess('socat', ['-u', `UNIX-RECV:${path}`, 'STDOUT']);
    try {
      await waitForFile(path);
      sendDatagram(path, 'READY=1\nSTATUS=listening');
      await receiver.waitFor(/READY=1\nSTATUS=listening/, 5000);
    } finally {
      await receiver.stop();
    }
  }),
);

test(
  'an @name is the abstract namespace, as systemd writes NOTIFY_SOCKET',
  timed(async () => {
    const name = `tunnel-notify-test-${process.pid}`;
    const receiver = startProcess('socat', ['-u', `ABSTRACT-RECV:${name}`, 'STDOUT']);
    try {
      // The abstract socket leaves no file to wait for: retry until socat has bound it.
      let sent = false;
      for (let i = 0; i < 100 && !sent; i++) {
        try {
          sendDatagram(`@${name}`, 'WATCHDOG=1');
          sent = true;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      await receiver.waitFor(/WATCHDOG=1/, 5000);
    } finally {
      await receiver.stop();
    }
  }),
);

test(
  'sending where nobody listens fails with the errno as code',
  timed(async () => {
    try {
      sendDatagram(join(dir.path, 'absent.sock'), 'READY=1');
      assert.unreachable('sent to nothing');
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_OS_ENOENT');
    }
  }),
);

test('encodeUnixSockaddr refuses empty and over-long paths and lays out the abstract form', () => {
  const table: Array<[string, string | undefined]> = [
    ['', 'ERR_TUNNEL_OS_BAD_ADDRESS'],
    ['x'.repeat(108), 'ERR_TUNNEL_OS_BAD_ADDRESS'],
    ['/run/x', undefined],
  ];
  for (const [path, code] of table) {
    try {
      encodeUnixSockaddr(path);
      assert.is(code, undefined, path);
    } catch (error) {
      assert.is((error as { code: string }).code, code);
    }
  }
  assert.equal([...encodeUnixSockaddr('@ab')], [1, 0, 0, 97, 98]);
  assert.equal([...encodeUnixSockaddr('/a')], [1, 0, 47, 97, 0]);
});

test(
  'socketLocalAddress reads the bound address of a listening descriptor',
  timed(async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      assert.equal(socketLocalAddress(socketFd(server as never)), { address: '127.0.0.1', port, family: 'IPv4' });
    } finally {
      server.close();
    }
    const unix = createServer();
    const path = join(dir.path, 'listen.sock');
    await new Promise<void>((resolve) => unix.listen(path, resolve));
    try {
      assert.equal(socketLocalAddress(socketFd(unix as never)), { path });
    } finally {
      unix.close();
    }
  }),
);

test.run();
