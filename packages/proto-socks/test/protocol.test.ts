import net from 'node:net';
import tls from 'node:tls';
import { PROTOCOL_CONTRACT_VERSION } from '@tunnel/protocol';
import { listen, makePki, socketPair, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol, socksSettings } from '../src/index.js';
import { makeContext } from './context.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const tick = () => new Promise((resolve) => setImmediate(resolve));

test('the plugin value is socks, server mode only, contract 1, with a postTls hook', () => {
  assert.is(protocol.name, 'socks');
  assert.is(protocol.contract, PROTOCOL_CONTRACT_VERSION);
  assert.equal(protocol.modes, ['server']);
  assert.type(protocol.postTls, 'function');
  assert.is(protocol.preTls, undefined);
});

test('validate accepts the documented settings and refuses bad ones naming the option', () => {
  protocol.validate?.({}, 'server');
  assert.equal(socksSettings({ extra: { allowloopback: 'YES' } }), { allowLoopback: true, credentials: undefined });
  assert.equal(socksSettings({ username: 'u', password: 'p', authentication: 'basic' }).credentials, { username: 'u', password: 'p' });
  const bad: [object, RegExp][] = [
    [{ extra: { allowloopback: 'maybe' } }, /protocolAllowLoopback/],
    [{ username: 'u' }, /protocolPassword/],
    [{ authentication: 'ntlm', username: 'u', password: 'p' }, /protocolAuthentication/],
    [{ authentication: 'basic' }, /protocolUsername/],
  ];
  for (const [options, message] of bad) {
    try {
      protocol.validate?.(options, 'server');
      assert.unreachable(JSON.stringify(options));
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_SOCKS_BAD_OPTION');
      assert.match((error as Error).message, message);
    }
  }
});

test(
  'postTls refuses a loopback target by default: reply 0x02, nothing connected',
  timed(async () => {
    const [server, client] = socketPair();
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    const context = makeContext(server, {});
    const running = protocol.postTls?.(context).catch((error: { code: string }) => error.code);
    client.write(hex('05 01 00  05 01 00 01 7f000001 0050'));
    assert.is(await running, 'ERR_TUNNEL_SOCKS_TARGET_REFUSED');
    await tick();
    // Like stunnel 5.68, a refused CONNECT echoes the requested address and port.
    assert.equal(Buffer.concat(chunks), hex('05 00  05 02 00 01 7f000001 0050'));
    assert.is(context.target(), undefined);
  }),
);

test(
  'postTls answers 0x05 when the allowed target refuses the connection',
  timed(async () => {
    const closed = net.createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const [server, client] = socketPair();
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    const context = makeContext(server, { extra: { allowloopback: 'yes' } });
    const running = protocol.postTls?.(context).catch((error: { code: string }) => error.code);
    const request = hex('05 01 00  05 01 00 01 7f000001 0000');
    request.writeUInt16BE(port, request.length - 2);
    client.write(request);
    assert.is(await running, 'ERR_TUNNEL_SOCKS_CONNECT_FAILED');
    await tick();
    const expected = hex('05 00  05 05 00 01 7f000001 0000');
    expected.writeUInt16BE(port, expected.length - 2);
    assert.equal(Buffer.concat(chunks), expected);
  }),
);

test(
  'postTls over a real TLS session connects an allowed target and replies with the bound address',
  timed(async () => {
    const dir = tempDir();
    const pki = await makePki({ dir: dir.path });
    const upstream = net.createServer((socket) => socket.end('hello from upstream'));
    const upstreamPort = await listen(upstream);
    const server = tls.createServer({ cert: pki.read('server.pem'), key: pki.read('server.key') });
    const done = new Promise<ReturnType<typeof makeContext>>((resolve, reject) => {
      server.on('secureConnection', (secure) => {
        const context = makeContext(secure, { extra: { allowloopback: 'yes' } });
        protocol.postTls?.(context).then(() => resolve(context), reject);
      });
    });
    const port = await listen(server);
    const cleanups: (() => void)[] = [() => server.close(), () => upstream.close(), () => dir.remove()];
    try {
      const client = tls.connect({ port, host: '127.0.0.1', ca: pki.read('ca.pem'), servername: 'localhost' });
      cleanups.push(() => client.destroy());
      await new Promise((resolve) => client.once('secureConnect', resolve));
      const request = Buffer.concat([hex('04 01 0000 00000001'), Buffer.from('user\0localhost\0')]);
      request.writeUInt16BE(upstreamPort, 2);
      client.write(request);
      const context = await done;
      const reply: Buffer = await new Promise((resolve) => client.once('data', resolve));
      const remote = context.remoteSocket();
      assert.ok(remote);
      assert.is(reply[1], 90);
      assert.is(reply.readUInt16BE(2), remote?.localPort);
      assert.is(`${reply[4]}.${reply[5]}.${reply[6]}.${reply[7]}`, remote?.localAddress);
      assert.equal(context.target(), { host: '127.0.0.1', port: upstreamPort });
      client.destroy();
      remote?.destroy();
    } finally {
      for (const cleanup of cleanups) cleanup();
    }
  }),
);

test.run();
