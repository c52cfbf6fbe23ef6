import { once } from 'node:events';
import { type Socket, connect, createServer } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { randomPayload, readAll, sha256, socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDemoCertificate } from '../src/demo-certificate.js';
import { pump } from '../src/pump.js';
import { reusedReads } from '../src/read-buffer.js';

/** A TCP connection on 127.0.0.1 whose dialling end reads into the reused buffer, as server mode's upstream does. */
async function upstreamPair(): Promise<[Socket, Socket]> {
  const server = createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const reads = reusedReads();
  const upstream = connect({ host: '127.0.0.1', port, allowHalfOpen: true, onread: reads.onread });
  reads.attach(upstream);
  const [[backend]] = await Promise.all([accepted, once(upstream, 'connect')]);
  server.close();
  return [upstream, backend];
}

/** A real TLS session over TCP: the server end is the pump's TLS side, the client end the test's client. */
async function tlsPair(): Promise<[TLSSocket, TLSSocket, Socket[]]> {
  const demo = await createDemoCertificate();
  const server = createServer({ allowHalfOpen: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const rawClient = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const [[rawServer]] = await Promise.all([accepted, once(rawClient, 'connect')]);
  server.close();
  const tlsServer = new TLSSocket(rawServer, { isServer: true, cert: demo.cert, key: demo.key });
  const tlsClient = tlsConnect({ socket: rawClient, rejectUnauthorized: false });
  await Promise.all([once(tlsServer, 'secure'), once(tlsClient, 'secureConnect')]);
  return [tlsServer, tlsClient, [rawClient, rawServer]];
}

const options = { idleMs: 20_000, closeMs: 20_000, leftoverToTls: Buffer.alloc(0), leftoverToPlain: Buffer.alloc(0) };

/** Writes `payload` in chunks of varying size (reads then end at varying offsets of the reused buffer). */
async function sendInPieces(to: Socket, payload: Buffer): Promise<void> {
  let at = 0;
  let size = 1;
  while (at < payload.length) {
    const n = Math.min(payload.length - at, size);
    if (!to.write(payload.subarray(at, at + n))) await once(to, 'drain');
    at += n;
    size = (size * 7 + 4093) % 200_000;
  }
  to.end();
}

test(
  'a download read into the reused buffer reaches the TLS client intact, also while the client keeps pausing',
  timed(async () => {
    const [tls, client, raw] = await tlsPair();
    const [upstream, backend] = await upstreamPair();
    try {
      const down = randomPayload(48_000_000);
      const done = pump({ ...options, tls, plain: upstream, signal: new AbortController().signal });
      // The client stops now and then: the TLS side's queue fills, chunks are then kept in spare buffers.
      const chunks: Buffer[] = [];
      client.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (chunks.length % 50 === 0) {
          client.pause();
          setTimeout(() => client.resume(), 3);
        }
      });
      const atClient = once(client, 'end');
      client.end();
      await sendInPieces(backend, down);
      const result = await done;
      await atClient;
      assert.is(result.error, undefined);
      assert.is(result.bytesToTls, down.length);
      assert.is(sha256(Buffer.concat(chunks)), sha256(down));
    } finally {
      for (const s of [client, tls, upstream, backend, ...raw]) s.destroy();
    }
  }, 60_000),
);

test(
  'bytes the upstream sent before the pump (read by a dialogue, then left unread) come first and in order',
  timed(async () => {
    const [tls, client, raw] = await tlsPair();
    const [upstream, backend] = await upstreamPair();
    try {
      backend.write('220 banner\r\n');
      const [first] = (await once(upstream, 'data')) as [Buffer];
      assert.is(first.toString(), '220 banner\r\n');
      upstream.pause();
      backend.write('early');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const done = pump({ ...options, tls, plain: upstream, signal: new AbortController().signal });
      const atClient = readAll(client);
      client.end();
      backend.end('late');
      const result = await done;
      assert.is(result.error, undefined);
      assert.is((await atClient).toString(), 'earlylate');
    } finally {
      for (const s of [client, tls, upstream, backend, ...raw]) s.destroy();
    }
  }),
);

test(
  'a TLS client that stops reading stops the upstream: the proxy holds a bounded amount',
  timed(async () => {
    const [tls, client, raw] = await tlsPair();
    const [upstream, backend] = await upstreamPair();
    try {
      client.pause();
      const done = pump({ ...options, tls, plain: upstream, signal: new AbortController().signal });
      // 64 MiB queued at the backend at once: without backpressure the proxy would read all of it within the wait.
      const written = 64 * 1024 * 1024;
      for (let i = 0; i < 1024; i += 1) backend.write(Buffer.alloc(64 * 1024, i));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const readByProxy = upstream.bytesRead;
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.is(upstream.bytesRead, readByProxy, 'the proxy stopped reading');
      // What it read sits in the kernel's buffers of the TLS connection (a few MiB on loopback) plus its 128 KiB bound.
      assert.ok(readByProxy < 32 * 1024 * 1024, `the proxy read ${readByProxy} of ${written} bytes`);
      const atClient = readAll(client);
      client.end();
      backend.end();
      const result = await done;
      assert.is(result.error, undefined);
      assert.is((await atClient).length, written);
    } finally {
      for (const s of [client, tls, upstream, backend, ...raw]) s.destroy();
    }
  }),
);

test(
  'into a stream that is not a TLS socket (the compression stage), each read is a copy of its own, so nothing held is overwritten',
  timed(async () => {
    const [upstream, backend] = await upstreamPair();
    // A pair of streams whose write() calls back at once while the peer still holds the very chunk it was given.
    const [tls, outer] = socketPair();
    try {
      const down = randomPayload(4_000_000);
      const done = pump({ ...options, tls, plain: upstream, signal: new AbortController().signal });
      // Nothing reads the far end for a while: the chunks wait there while more reads arrive.
      const send = sendInPieces(backend, down);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const atTls = readAll(outer);
      await send;
      outer.end();
      const result = await done;
      assert.is(result.error, undefined);
      assert.is(sha256(await atTls), sha256(down));
    } finally {
      for (const s of [upstream, backend]) s.destroy();
    }
  }),
);

test.run();
