import net from 'node:net';
import { type ProtocolContext, StreamChannel } from '@tunnel/protocol';
import { listen, socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROXY_HEADER_STATE, protocol, proxyReceive, proxyVersion, readProxyHeader, sendProxyHeader } from '../src/index.js';

function context(fields: Partial<ProtocolContext>): ProtocolContext {
  const log = () => {};
  return {
    mode: 'server',
    service: 't',
    peer: { address: '192.0.2.1', port: 5555, family: 'IPv4' },
    options: {},
    signal: new AbortController().signal,
    log: { error: log, warning: log, notice: log, info: log, debug: log },
    state: new Map(),
    tls: undefined,
    remote: undefined,
    setTarget: () => {},
    ...fields,
  } as ProtocolContext;
}

test('the plugin values: proxy (send) and proxy-receive, server mode, contract 1', () => {
  assert.equal([protocol.name, protocol.modes, protocol.contract, typeof protocol.postTls], ['proxy', ['server'], 1, 'function']);
  assert.equal(
    [proxyReceive.name, proxyReceive.modes, proxyReceive.contract, typeof proxyReceive.preConnect],
    ['proxy-receive', ['server'], 1, 'function'],
  );
});

test('protocolVersion accepts 1 and 2 and refuses anything else naming the option', () => {
  assert.is(proxyVersion({}), 1);
  assert.is(proxyVersion({ extra: { version: '2' } }), 2);
  try {
    protocol.validate?.({ extra: { version: '3' } }, 'server');
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_PROXY_BAD_OPTION');
    assert.match((error as Error).message, /protocolVersion/);
  }
});

test(
  'postTls connects the upstream and writes the v1 header with the peer and the local address first',
  timed(async () => {
    const server = net.createServer();
    const port = await listen(server);
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    const local = await accepted;
    const [ours, upstream] = socketPair();
    const received: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => received.push(chunk));
    const remote = new StreamChannel(ours);
    await protocol.postTls?.(context({ local: new StreamChannel(local), connectRemote: async () => remote }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.is(Buffer.concat(received).toString(), `PROXY TCP4 192.0.2.1 127.0.0.1 5555 ${port}\r\n`);
    client.destroy();
    local.destroy();
    server.close();
  }),
);

test(
  'postTls writes PROXY UNKNOWN for a Unix-socket peer and a v2 header when asked',
  timed(async () => {
    for (const [options, expected] of [
      [{}, '50524f585920554e4b4e4f574e0d0a'],
      [{ extra: { version: '2' } }, '0d0a0d0a000d0a515549540a21000000'],
    ] as const) {
      const [ours, upstream] = socketPair();
      const received: Buffer[] = [];
      upstream.on('data', (chunk: Buffer) => received.push(chunk));
      const [localSide] = socketPair();
      const remote = new StreamChannel(ours);
      await protocol.postTls?.(
        context({
          options,
          peer: { address: '/run/x.sock', port: 0, family: 'unix' },
          local: new StreamChannel(localSide),
          connectRemote: async () => remote,
        }),
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.is(Buffer.concat(received).toString('hex'), expected);
    }
  }),
);

for (const size of [1, 5, 1000]) {
  test(
    `proxy-receive reads a header sent in ${size}-byte chunks, stores it, and puts the following bytes back on the stream`,
    timed(async () => {
      const [ours, balancer] = socketPair();
      const channel = new StreamChannel(ours);
      const state = new Map<string, unknown>();
      const running = proxyReceive.preConnect?.(context({ local: channel, state }));
      const bytes = Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::8 40000 443\r\n\x16\x03\x01hello');
      for (let offset = 0; offset < bytes.length; offset += size) {
        balancer.write(bytes.subarray(offset, offset + size));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await running;
      assert.equal((state.get(PROXY_HEADER_STATE) as { source: unknown }).source, { address: '2001:db8::7', port: 40000 });
      assert.is(channel.buffered, 0);
      const rest: Buffer[] = [];
      for (let chunk = ours.read(); chunk !== null; chunk = ours.read()) rest.push(chunk);
      // Whatever was not yet read by the channel is still in the stream; together they are the payload, in order.
      const tail = Buffer.concat(rest);
      assert.is(tail.toString('latin1'), '\x16\x03\x01hello');
    }),
  );
}

test(
  'readProxyHeader refuses a client that sends no header and sendProxyHeader returns what it wrote',
  timed(async () => {
    const [ours, peer] = socketPair();
    peer.write('\x16\x03\x01\x02\x00');
    try {
      await readProxyHeader(new StreamChannel(ours));
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_PROXY_BAD_HEADER');
    }
    const written: Buffer[] = [];
    const header = await sendProxyHeader({ write: async (data) => void written.push(Buffer.from(data)) }, { version: 2 });
    assert.equal(written, [header]);
  }),
);

test.run();
