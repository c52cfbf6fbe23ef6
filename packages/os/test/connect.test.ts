import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { listen, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectSocket, connectTransparent, getSocketOption, OsError, originalDestination, socketFd } from '../src/index.js';

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, OsError);
    return (error as OsError).code;
  }
  return 'none';
}

/** A server that answers each connection with the peer address it saw, then closes. */
async function whoAmIServer(host = '127.0.0.1'): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end(`${socket.remoteAddress} ${socket.remotePort}`);
  });
  const port = await listen(server, host);
  return {
    port,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}

async function readText(socket: net.Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  await once(socket, 'end');
  socket.destroy();
  return text;
}

test(
  'connectSocket binds the source address and applies options before connect',
  timed(async () => {
    const server = await whoAmIServer();
    try {
      const socket = await connectSocket({
        host: '127.0.0.1',
        port: server.port,
        localAddress: '127.0.0.2',
        options: [
          { name: 'TCP_NODELAY', value: true },
          { name: 'SO_LINGER', value: { onoff: 1, linger: 5 } },
        ],
      });
      assert.is(getSocketOption(socketFd(socket), 'TCP_NODELAY'), true);
      assert.equal(getSocketOption(socketFd(socket), 'SO_LINGER'), { onoff: 1, linger: 5 });
      assert.is(socket.localAddress, '127.0.0.2');
      assert.is(socket.remotePort, server.port);
      const seen = await readText(socket);
      assert.match(seen, /^127\.0\.0\.2 \d+$/);
    } finally {
      await server.close();
    }
  }),
);

test(
  'connectSocket binds a fixed local port and speaks IPv6',
  timed(async () => {
    const server = await whoAmIServer('::1');
    const probe = net.createServer();
    const freePort = await listen(probe, '::1');
    probe.close();
    await once(probe, 'close');
    try {
      const socket = await connectSocket({ host: '::1', port: server.port, localAddress: '::1', localPort: freePort });
      assert.is(await readText(socket), `::1 ${freePort}`);
    } finally {
      await server.close();
    }
  }),
);

test(
  'connectTransparent sets IP_TRANSPARENT and still connects from a local address',
  timed(async () => {
    const server = await whoAmIServer();
    try {
      const socket = await connectTransparent({ host: '127.0.0.1', port: server.port, localAddress: '127.0.0.3' });
      assert.match(await readText(socket), /^127\.0\.0\.3 \d+$/);
    } finally {
      await server.close();
    }
  }),
);

test(
  'connect failures map errno to codes and leave no descriptor behind',
  timed(async () => {
    const probe = net.createServer();
    const closedPort = await listen(probe);
    probe.close();
    await once(probe, 'close');
    assert.is(await codeOf(() => connectSocket({ host: '127.0.0.1', port: closedPort })), 'ERR_TUNNEL_OS_ECONNREFUSED');
    assert.is(
      await codeOf(() => connectSocket({ host: '127.0.0.1', port: closedPort, localAddress: '192.0.2.1' })),
      'ERR_TUNNEL_OS_EADDRNOTAVAIL',
    );
    assert.is(await codeOf(() => connectSocket({ host: 'localhost', port: 1 })), 'ERR_TUNNEL_OS_BAD_ADDRESS');
    assert.is(await codeOf(() => connectSocket({ host: '127.0.0.1', port: 1, localAddress: '::1' })), 'ERR_TUNNEL_OS_BAD_ADDRESS');
    assert.is(
      await codeOf(() => connectSocket({ host: '127.0.0.1', port: 1, options: [{ name: 'SO_NOPE', value: true }] })),
      'ERR_TUNNEL_OS_UNKNOWN_OPTION',
    );
    const aborted = AbortSignal.abort();
    assert.is(await codeOf(() => connectSocket({ host: '127.0.0.1', port: closedPort, signal: aborted })), 'ERR_TUNNEL_OS_ABORTED');
  }),
);

test(
  'a connection that was never NATed has no original destination',
  timed(async () => {
    const server = await whoAmIServer();
    try {
      const socket = await connectSocket({ host: '127.0.0.1', port: server.port });
      try {
        originalDestination(socketFd(socket));
        assert.unreachable('should throw');
      } catch (error) {
        assert.instance(error, OsError);
        assert.is((error as OsError).code, 'ERR_TUNNEL_OS_ENOENT');
      }
      await readText(socket);
    } finally {
      await server.close();
    }
  }),
);

/** A listener whose process is stopped and whose accept queue is full: further SYNs are dropped, so connects hang. */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>process.stdout.write(String(s.address().port)+'\\n'))",
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  if (!(port > 0)) {
    child.kill('SIGKILL');
    throw new Error(`the listener child printed ${JSON.stringify(line.toString())}`);
  }
  child.kill('SIGSTOP');
  const fillers: net.Socket[] = [];
  for (let index = 0; index < 4; index += 1) {
    const filler = net.connect(port, '127.0.0.1');
    filler.on('error', () => {});
    fillers.push(filler);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  return {
    port,
    close: async () => {
      for (const filler of fillers) filler.destroy();
      child.kill('SIGKILL');
      child.kill('SIGCONT');
      await once(child, 'exit');
    },
  };
}

test(
  'a connect that never completes times out, and other connects are not held up meanwhile',
  timed(async () => {
    const hole = await blackHole();
    const server = await whoAmIServer();
    try {
      const started = Date.now();
      const hanging = codeOf(() => connectSocket({ host: '127.0.0.1', port: hole.port, timeoutMs: 1500 }));
      const controller = new AbortController();
      const aborted = codeOf(() => connectSocket({ host: '127.0.0.1', port: hole.port, timeoutMs: 5000, signal: controller.signal }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Added while the watcher is already polling the hanging descriptors: must finish at once.
      const sockets = await Promise.all(Array.from({ length: 20 }, () => connectSocket({ host: '127.0.0.1', port: server.port })));
      assert.ok(Date.now() - started < 600, `20 loopback connects took ${Date.now() - started} ms`);
      const texts = await Promise.all(sockets.map(readText));
      assert.ok(texts.every((text) => /^127\.0\.0\.1 \d+$/.test(text)));
      controller.abort();
      assert.is(await aborted, 'ERR_TUNNEL_OS_ABORTED');
      assert.ok(Date.now() - started < 1500, 'the abort is noticed immediately');
      assert.is(await hanging, 'ERR_TUNNEL_OS_CONNECT_TIMEOUT');
      assert.ok(Date.now() - started >= 1400);
    } finally {
      await server.close();
      await hole.close();
    }
  }),
);

test.run();
