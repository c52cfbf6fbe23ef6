import net from 'node:net';
import { once } from 'node:events';
import { listen, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAdmission, RateLimiter } from '../src/admission.js';
import { createTunnel } from '../src/tunnel.js';
import type { ConnectionRefusedEvent, LogRecord, ServiceOptions } from '../src/types.js';

const service = (extra: Partial<ServiceOptions> = {}): ServiceOptions => ({ name: 's', mode: 'server', accept: [], connect: [], ...extra });

test(
  'a token bucket admits N per window from one address, refills over time, and keeps addresses apart',
  timed(() => {
    const limiter = new RateLimiter({ count: 3, seconds: 10 });
    const at = 1_000_000;
    assert.equal(
      [1, 2, 3, 4].map(() => limiter.take('10.0.0.1', at)),
      [true, true, true, false],
    );
    assert.is(limiter.take('10.0.0.2', at), true, 'another address has its own bucket');
    assert.is(limiter.take('10.0.0.1', at + 3000), false, '0.9 token after 3 s is not enough');
    assert.is(limiter.take('10.0.0.1', at + 3400), true, 'one token after 3.34 s');
    assert.is(limiter.take('10.0.0.1', at + 3500), false);
  }),
);

test(
  'the bucket table is bounded: the least recently seen address is forgotten first',
  timed(() => {
    const limiter = new RateLimiter({ count: 1, seconds: 60 }, 3);
    for (const address of ['a', 'b', 'c']) assert.is(limiter.take(address, 0), true);
    assert.is(limiter.take('a', 1), false, 'a is empty and now the most recent');
    assert.is(limiter.take('d', 2), true);
    assert.is(limiter.size, 3);
    assert.is(limiter.take('b', 3), true, 'b was the oldest and was forgotten, so it starts full');
    assert.is(limiter.take('a', 4), false, 'a was kept');
  }),
);

test(
  'admission counts per service and in total, and release frees a slot',
  timed(() => {
    const admission = createAdmission(3);
    const a = service({ name: 'a', maxConnections: 2 });
    const b = service({ name: 'b' });
    assert.is(admission.admit(a, '1.1.1.1'), undefined);
    assert.is(admission.admit(a, '1.1.1.1'), undefined);
    assert.equal(admission.admit(a, '1.1.1.1')?.code, 'ERR_TUNNEL_MAX_CONNECTIONS');
    assert.match(admission.admit(a, '1.1.1.1')?.reason ?? '', /maxConnections = 2/);
    assert.is(admission.admit(b, '1.1.1.1'), undefined);
    assert.match(admission.admit(b, '1.1.1.1')?.reason ?? '', /global maxConnections = 3/);
    admission.release('a');
    assert.is(admission.admit(a, '1.1.1.1'), undefined);
  }),
);

test(
  'admission applies connectionRate per source address and names it in the refusal',
  timed(() => {
    const admission = createAdmission(undefined);
    const s = service({ connectionRate: { count: 2, seconds: 60 } });
    assert.is(admission.admit(s, '10.0.0.1'), undefined);
    assert.is(admission.admit(s, '10.0.0.1'), undefined);
    const refusal = admission.admit(s, '10.0.0.1');
    assert.is(refusal?.code, 'ERR_TUNNEL_CONNECTION_RATE');
    assert.match(refusal?.reason ?? '', /more than 2 connections in 60 s from 10\.0\.0\.1/);
    assert.is(admission.admit(s, '10.0.0.2'), undefined);
  }),
);

test(
  'a tunnel over its cap closes the excess connection at accept, logs it with the code and emits connectionRefused',
  timed(async () => {
    // A client-mode service whose upstream never answers the TLS handshake: the first connection stays in flight.
    const silent = net.createServer((socket) => socket.on('error', () => {}));
    const upstream = await listen(silent);
    const records: LogRecord[] = [];
    const tunnel = createTunnel({
      services: [service({ mode: 'client', accept: [{ host: '127.0.0.1', port: 0 }], connect: [{ host: '127.0.0.1', port: upstream }] })],
      maxConnections: 1,
      logger: { write: (record) => void records.push(record) },
    });
    const refused: ConnectionRefusedEvent[] = [];
    tunnel.on('connectionRefused', (event) => refused.push(event));
    await tunnel.listen();
    const [address] = tunnel.addresses().get('s') ?? [];
    const port = typeof address === 'object' ? address.port : 0;
    const first = net.connect(port, '127.0.0.1');
    first.on('error', () => {});
    await once(first, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = net.connect(port, '127.0.0.1');
    second.on('error', () => {});
    await once(second, 'close');
    try {
      assert.is(refused.length, 1);
      assert.is(refused[0]?.code, 'ERR_TUNNEL_MAX_CONNECTIONS');
      assert.is(refused[0]?.peer.address, '127.0.0.1');
      const line = records.find((record) => record.code === 'ERR_TUNNEL_MAX_CONNECTIONS');
      assert.is(line?.level, 4);
      assert.match(
        line?.message ?? '',
        /^Service \[s\] refused connection from 127\.0\.0\.1:\d+: ERR_TUNNEL_MAX_CONNECTIONS: 1 connections in flight \(global maxConnections = 1\)$/,
      );
      assert.is(tunnel.connections, 1, 'the first connection is still served');
    } finally {
      first.destroy();
      await tunnel.close({ graceful: false });
      silent.close();
    }
  }, 10_000),
);

test.run();
