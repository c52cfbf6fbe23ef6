import { once } from 'node:events';
import net from 'node:net';
import { connectTcp, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getSocketOption, listenSocket, OsError, socketFd } from '../src/index.js';

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, OsError);
    return (error as OsError).code;
  }
  return 'none';
}

test(
  'listenSocket applies a: options before bind and serves connections through net.Server',
  timed(async () => {
    const server = net.createServer((socket) => socket.end('hello'));
    await listenSocket(server, {
      host: '127.0.0.1',
      port: 0,
      options: [
        { name: 'SO_RCVBUF', value: 32768 },
        { name: 'SO_BINDTODEVICE', value: 'lo' },
      ],
    });
    try {
      const fd = socketFd(server as unknown as net.Socket);
      assert.is(getSocketOption(fd, 'SO_REUSEADDR'), true, "stunnel's accept default");
      assert.is(getSocketOption(fd, 'SO_BINDTODEVICE'), 'lo');
      assert.is(getSocketOption(fd, 'SO_RCVBUF'), 65536);
      const { port } = server.address() as net.AddressInfo;
      assert.ok(port > 0);
      const client = await connectTcp(port);
      let text = '';
      client.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      await once(client, 'end');
      client.destroy();
      assert.is(text, 'hello');
    } finally {
      server.close();
    }
  }),
);

test(
  'a:SO_REUSEADDR=no and a:IPV6_V6ONLY=yes take effect on an IPv6 listener',
  timed(async () => {
    const server = net.createServer((socket) => socket.destroy());
    await listenSocket(server, {
      host: '::',
      port: 0,
      options: [
        { name: 'SO_REUSEADDR', value: false },
        { name: 'IPV6_V6ONLY', value: true },
      ],
    });
    try {
      const fd = socketFd(server as unknown as net.Socket);
      assert.is(getSocketOption(fd, 'SO_REUSEADDR'), false);
      assert.is(getSocketOption(fd, 'IPV6_V6ONLY'), true);
      const { port } = server.address() as net.AddressInfo;
      // IPv6-only: an IPv4 connection to the same port is refused.
      const v4 = net.connect(port, '127.0.0.1');
      const [error] = (await once(v4, 'error')) as [NodeJS.ErrnoException];
      assert.is(error.code, 'ECONNREFUSED');
    } finally {
      server.close();
    }
  }),
);

test(
  'listen failures close the descriptor and report the errno',
  timed(async () => {
    const taken = net.createServer();
    await listenSocket(taken, { host: '127.0.0.1', port: 0, options: [{ name: 'SO_REUSEADDR', value: false }] });
    const { port } = taken.address() as net.AddressInfo;
    try {
      assert.is(await codeOf(() => listenSocket(net.createServer(), { host: '127.0.0.1', port })), 'ERR_TUNNEL_OS_EADDRINUSE');
      assert.is(await codeOf(() => listenSocket(net.createServer(), { host: '192.0.2.1', port: 0 })), 'ERR_TUNNEL_OS_EADDRNOTAVAIL');
      assert.is(await codeOf(() => listenSocket(net.createServer(), { host: 'localhost', port: 0 })), 'ERR_TUNNEL_OS_BAD_ADDRESS');
      assert.is(
        await codeOf(() => listenSocket(net.createServer(), { host: '127.0.0.1', port: 0, options: [{ name: 'SO_RCVBUF', value: 'x' }] })),
        'ERR_TUNNEL_OS_BAD_OPTION_VALUE',
      );
    } finally {
      taken.close();
    }
  }),
);

test.run();
