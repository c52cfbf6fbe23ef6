import { execFile } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { listen, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  connectUpstream,
  originalDestinationOf,
  TransparentError,
  transparentMode,
  usesOriginalDestination,
  usesSourceAddress,
} from '../src/index.js';

async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, TransparentError);
    return (error as TransparentError).code;
  }
  return 'none';
}

const modes: [string, boolean, boolean][] = [
  ['none', false, false],
  ['source', true, false],
  ['destination', false, true],
  ['both', true, true],
];
for (const [mode, source, destination] of modes) {
  test(`transparent = ${mode} binds the client address: ${source}, uses the original destination: ${destination}`, () => {
    const parsed = transparentMode(mode);
    assert.is(usesSourceAddress(parsed), source);
    assert.is(usesOriginalDestination(parsed), destination);
  });
}

for (const value of ['yes', 'no', 'Source', '']) {
  test(`transparent = ${JSON.stringify(value)} is not a mode (legacy yes/no belong to the config parser)`, async () => {
    assert.is(await codeOf(() => transparentMode(value)), 'ERR_TUNNEL_TRANSPARENT_BAD_MODE');
  });
}

/** A loopback pair: the accepted side plays the proxy's client socket. */
async function loopbackPair(): Promise<{ accepted: net.Socket; port: number; close(): Promise<void> }> {
  // Every accepted socket is kept to be destroyed at close: with allowHalfOpen a peer's FIN does not close the server
  // side, and server.close() would wait for it forever (seen under load with the upstream a test connects here).
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  const port = await listen(server);
  const client = net.connect(port, '127.0.0.1');
  client.on('error', () => {});
  const [accepted] = (await once(server, 'connection')) as [net.Socket];
  return {
    accepted,
    port,
    close: async () => {
      client.destroy();
      accepted.destroy();
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

test(
  'a connection that reached the listener directly has no usable original destination',
  timed(async () => {
    const pair = await loopbackPair();
    try {
      // Without conntrack state the kernel says ENOENT; with it, the "original" destination is the listener itself.
      assert.match(await codeOf(() => originalDestinationOf(pair.accepted)), /^ERR_TUNNEL_TRANSPARENT_(NO_ORIGINAL_DST|NOT_REDIRECTED)$/);
    } finally {
      await pair.close();
    }
  }),
);

test(
  'connectUpstream without a target or with an unreachable one fails with a transparent code',
  timed(async () => {
    const pair = await loopbackPair();
    try {
      assert.is(await codeOf(() => connectUpstream({ mode: 'source', client: pair.accepted })), 'ERR_TUNNEL_TRANSPARENT_NO_TARGET');
      assert.is(
        await codeOf(() => connectUpstream({ mode: 'source', client: pair.accepted, connect: { host: '::1', port: 1 } })),
        'ERR_TUNNEL_TRANSPARENT_NO_TARGET',
      );
      assert.is(
        await codeOf(() => connectUpstream({ mode: 'none', client: pair.accepted, connect: { host: '127.0.0.1', port: 1 } })),
        'ERR_TUNNEL_TRANSPARENT_CONNECT_FAILED',
      );
      const upstream = await connectUpstream({ mode: 'source', client: pair.accepted, connect: { host: '127.0.0.1', port: pair.port } });
      assert.is(upstream.localAddress, '127.0.0.1');
      upstream.destroy();
      pair.accepted.destroy();
      assert.is(
        await codeOf(() => connectUpstream({ mode: 'source', client: pair.accepted, connect: { host: '127.0.0.1', port: pair.port } })),
        'ERR_TUNNEL_TRANSPARENT_NO_TARGET',
      );
    } finally {
      await pair.close();
    }
  }, 30_000),
);

test(
  'transparent = source without root reports ERR_TUNNEL_TRANSPARENT_PRIVILEGE with the EPERM cause',
  timed(async () => {
    const script = fileURLToPath(new URL('./fixtures/unprivileged.mts', import.meta.url));
    // The fixture drops to nobody and then loads the FFI library: a checkout under a 0700 directory (mktemp -d) is
    // unreadable to nobody, which tests the file system, not us.
    const readable = await new Promise<boolean>((resolve) =>
      execFile('runuser', ['-u', 'nobody', '--', 'test', '-r', script], (error) => resolve(!error)),
    );
    if (!readable) {
      console.log('skipped: nobody cannot read this checkout (it lives under a private directory)');
      return;
    }
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', script], { timeout: 15_000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      ),
    );
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { uid: number; code: string };
    assert.is(result.uid, 65534);
    assert.is(result.code, 'ERR_TUNNEL_TRANSPARENT_PRIVILEGE / ERR_TUNNEL_OS_EPERM');
  }, 20_000),
);

test.run();
