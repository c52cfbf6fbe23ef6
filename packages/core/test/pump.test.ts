import { once } from 'node:events';
import { type Socket, connect, createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TLSSocket, connect as tlsConnect } from 'node:tls';
import { randomPayload, readAll, sha256, socketPair, timed } from '@tunnel/testkit';
import { createDemoCertificate } from '../src/demo-certificate.js';
import { pump } from '../src/pump.js';

/** Two ends of one real TCP connection on 127.0.0.1, both half-open capable like tunnel's own sockets. */
async function tcpPair(): Promise<[Socket, Socket]> {
  const server = createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const [[serverSide]] = await Promise.all([accepted, once(client, 'connect')]);
  server.close();
  return [client, serverSide];
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

test(
  'pump counts the bytes of both directions from the sockets, with the leftovers and the bytes read before it started',
  timed(async () => {
    const [client, tlsSide] = await tcpPair();
    const [plainSide, backend] = await tcpPair();
    try {
      // Bytes that arrive while nobody reads yet sit in the socket's buffer; the pipe delivers them, so they count.
      tlsSide.pause();
      client.write('pre');
      await until(() => tlsSide.readableLength === 3);
      const done = pump({
        tls: tlsSide,
        plain: plainSide,
        leftoverToTls: Buffer.from('L1'),
        leftoverToPlain: Buffer.from('L22'),
        idleMs: 5000,
        closeMs: 5000,
        signal: new AbortController().signal,
      });
      const atBackend = readAll(backend);
      const atClient = readAll(client);
      client.end('abcd');
      backend.end('xyz');
      const result = await done;
      assert.is(result.error, undefined);
      assert.is((await atBackend).toString(), 'L22preabcd');
      assert.is((await atClient).toString(), 'L1xyz');
      assert.is(result.bytesToSocket, 10);
      assert.is(result.bytesToTls, 5);
    } finally {
      for (const s of [client, tlsSide, plainSide, backend]) s.destroy();
    }
  }),
);

test(
  'pump counts bytes through streams that keep no count of their own (inetd stdio, the compression stage)',
  timed(async () => {
    const [outerTls, tls] = socketPair();
    const [plain, outerPlain] = socketPair();
    const done = pump({
      tls,
      plain,
      leftoverToTls: Buffer.alloc(0),
      leftoverToPlain: Buffer.from('x'),
      idleMs: 5000,
      closeMs: 5000,
      signal: new AbortController().signal,
    });
    const atPlain = readAll(outerPlain);
    const atTls = readAll(outerTls);
    outerTls.end(Buffer.alloc(100_000, 1));
    outerPlain.end('four');
    const result = await done;
    assert.is(result.error, undefined);
    assert.is((await atPlain).length, 100_001);
    assert.is((await atTls).toString(), 'four');
    assert.is(result.bytesToSocket, 100_001);
    assert.is(result.bytesToTls, 4);
  }),
);

test(
  'TIMEOUTidle does not end a connection that carries data more often than the limit, and ends it once it goes quiet',
  timed(async () => {
    const [client, tlsSide] = await tcpPair();
    const [plainSide, backend] = await tcpPair();
    try {
      backend.resume();
      const started = Date.now();
      const done = pump({
        tls: tlsSide,
        plain: plainSide,
        leftoverToTls: Buffer.alloc(0),
        leftoverToPlain: Buffer.alloc(0),
        idleMs: 600,
        closeMs: 5000,
        signal: new AbortController().signal,
      });
      // One byte every 150 ms for 1.8 s: three idle limits in all, never 600 ms without data.
      for (let i = 0; i < 12; i += 1) {
        client.write('.');
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      const lastData = Date.now();
      const result = await done;
      const ended = Date.now();
      assert.ok(ended - started >= 1800, `ended after ${ended - started} ms, while data still flowed`);
      assert.ok(ended - lastData >= 400, `ended ${ended - lastData} ms after the last data`);
      // Checked four times per limit: at most 1.25 limits after the last data, plus slack for a loaded machine.
      assert.ok(ended - lastData < 600 * 1.25 + 400, `ended ${ended - lastData} ms after the last data: the check is too coarse`);
      assert.is((result.error as Error & { code?: string }).code, 'ERR_TUNNEL_TIMEOUT_IDLE');
      assert.is(result.bytesToSocket, 12);
    } finally {
      for (const s of [client, tlsSide, plainSide, backend]) s.destroy();
    }
  }),
);

test(
  'TIMEOUTclose replaces TIMEOUTidle once one direction has ended',
  timed(async () => {
    const [client, tlsSide] = await tcpPair();
    const [plainSide, backend] = await tcpPair();
    try {
      backend.resume();
      const done = pump({
        tls: tlsSide,
        plain: plainSide,
        leftoverToTls: Buffer.alloc(0),
        leftoverToPlain: Buffer.alloc(0),
        idleMs: 60_000,
        closeMs: 200,
        signal: new AbortController().signal,
      });
      const halfClosed = Date.now();
      client.end('bye');
      const result = await done;
      assert.ok(Date.now() - halfClosed >= 150);
      const error = result.error as Error & { code?: string };
      assert.is(error.code, 'ERR_TUNNEL_TIMEOUT_IDLE');
      assert.match(error.message, /TIMEOUTclose/);
    } finally {
      for (const s of [client, tlsSide, plainSide, backend]) s.destroy();
    }
  }),
);

test(
  'a receiver that stops reading stops the source: the pump holds at most its write bound plus one read',
  timed(async () => {
    const [client, tlsSide] = await tcpPair();
    const [plainSide, backend] = await tcpPair();
    try {
      backend.pause();
      const done = pump({
        tls: tlsSide,
        plain: plainSide,
        leftoverToTls: Buffer.alloc(0),
        leftoverToPlain: Buffer.alloc(0),
        idleMs: 10_000,
        closeMs: 10_000,
        signal: new AbortController().signal,
      });
      const payload = randomPayload(32_000_000);
      client.end(payload);
      // Far more than the kernel's socket buffers take: the rest must wait in the client, not in the pump.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.ok(client.writableLength > 0, 'the client was never held back');
      const held = plainSide.writableLength + tlsSide.readableLength;
      assert.ok(held <= 128 * 1024 + 64 * 1024, `the pump holds ${held} bytes`);
      const received = readAll(backend);
      backend.end();
      const result = await done;
      assert.is(result.error, undefined);
      assert.is(sha256(await received), sha256(payload));
      assert.is(result.bytesToSocket, payload.length);
    } finally {
      for (const s of [client, tlsSide, plainSide, backend]) s.destroy();
    }
  }),
);

test(
  'pump carries 8 MB each way at once through a real TLS session intact, with both sides half-closing',
  timed(async () => {
    const demo = await createDemoCertificate();
    const [rawClient, rawServer] = await tcpPair();
    const [plainSide, backend] = await tcpPair();
    const tlsServer = new TLSSocket(rawServer, { isServer: true, cert: demo.cert, key: demo.key });
    const tlsClient = tlsConnect({ socket: rawClient, rejectUnauthorized: false });
    try {
      await Promise.all([once(tlsServer, 'secure'), once(tlsClient, 'secureConnect')]);
      const up = randomPayload(8_000_000);
      const down = randomPayload(8_000_000);
      const done = pump({
        tls: tlsServer,
        plain: plainSide,
        leftoverToTls: Buffer.alloc(0),
        leftoverToPlain: Buffer.alloc(0),
        idleMs: 10_000,
        closeMs: 10_000,
        signal: new AbortController().signal,
      });
      const atBackend = readAll(backend);
      const atClient = readAll(tlsClient);
      tlsClient.end(up);
      backend.end(down);
      const result = await done;
      assert.is(result.error, undefined);
      assert.is(sha256(await atBackend), sha256(up));
      assert.is(sha256(await atClient), sha256(down));
      assert.is(result.bytesToSocket, up.length);
      assert.is(result.bytesToTls, down.length);
    } finally {
      for (const s of [tlsClient, tlsServer, rawClient, rawServer, plainSide, backend]) s.destroy();
    }
  }),
);

test.run();
