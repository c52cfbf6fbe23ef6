import type net from 'node:net';
import tls from 'node:tls';
import { createTunnel, type ServiceOptions, type Tunnel } from '@tunnel/core';
import { StreamChannel } from '@tunnel/protocol';
import { connectTcp, makePki, type Pki, run, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol, startTlsClient } from '../src/index.js';
import { startHarness } from './harness.js';
import { type Dovecot, startDovecot } from './peers.js';

// One private dovecot (POP3 on a fresh plaintext port, STLS with the test certificate) for the whole file.
const dir = tempDir('tunnel-pop3-');
let pki: Pki;
let dovecot: Dovecot;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  dovecot = await startDovecot(dir.path, pki);
});

test.after(async () => {
  await dovecot?.stop();
  dir.remove();
});

/** Logs in and reads STAT inside an established session; returns the +OK line. */
async function login(channel: StreamChannel): Promise<string> {
  await channel.writeLine('USER user');
  assert.ok((await channel.readLine()).startsWith('+OK'));
  await channel.writeLine('PASS pass');
  assert.ok((await channel.readLine()).startsWith('+OK'));
  await channel.writeLine('STAT');
  return channel.readLine();
}

test(
  'startTlsClient negotiates STLS with dovecot and a verified TLS session with a login runs on the socket',
  timed(async () => {
    const raw = await connectTcp(dovecot.pop3Port);
    const { greeting } = await startTlsClient(raw);
    assert.match(greeting, /^\+OK Dovecot/);
    const secure = tls.connect({ socket: raw, ca: pki.read('ca.pem'), servername: 'localhost' });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    assert.ok(secure.authorized);
    assert.match(await login(new StreamChannel(secure)), /^\+OK 0 0/);
    secure.destroy();
  }, 15_000),
);

test(
  'client mode: a plaintext client sees the real greeting and logs in to dovecot inside TLS',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'client', upstreamPort: dovecot.pop3Port, pki });
    const client = new StreamChannel(await connectTcp(harness.port));
    assert.match(await client.readLine(), /^\+OK Dovecot/);
    assert.match(await login(client), /^\+OK 0 0/);
    assert.equal(harness.errors, []);
    (client.stream as net.Socket).destroy();
    await harness.close();
  }, 15_000),
);

test(
  'server mode: openssl s_client -starttls pop3 logs in to dovecot through the negotiator',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'server', upstreamPort: dovecot.pop3Port, pki });
    const output = await run(
      'openssl',
      [
        's_client',
        '-starttls',
        'pop3',
        '-connect',
        `127.0.0.1:${harness.port}`,
        '-CAfile',
        pki.ca,
        '-verify_return_error',
        '-ign_eof',
        '-crlf',
        '-quiet',
      ],
      { input: 'USER user\nPASS pass\nSTAT\nQUIT\n', timeoutMs: 10_000 },
    );
    assert.match(output, /\+OK Logged in/);
    assert.match(output, /\+OK 0 0/);
    assert.equal(harness.errors, []);
    await harness.close();
  }, 15_000),
);

test(
  'server mode: a CAPA-first client (RFC 2449) sees only STLS, then TLS to dovecot',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'server', upstreamPort: dovecot.pop3Port, pki });
    const raw = await connectTcp(harness.port);
    const plain = new StreamChannel(raw);
    assert.match(await plain.readLine(), /^\+OK Dovecot .* \+ stunnel$/);
    await plain.writeLine('CAPA');
    assert.equal(
      [await plain.readLine(), await plain.readLine(), await plain.readLine()],
      ['+OK Stunnel capability list follows', 'STLS', '.'],
    );
    await plain.writeLine('STLS');
    assert.is(await plain.readLine(), '+OK Stunnel starts TLS negotiation');
    const secure = tls.connect({ socket: raw, ca: pki.read('ca.pem'), servername: 'localhost' });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    assert.match(await login(new StreamChannel(secure)), /^\+OK 0 0/);
    secure.destroy();
    assert.equal(harness.errors, []);
    await harness.close();
  }, 15_000),
);

/** Starts @tunnel/core with one service and returns it with its port. */
async function tunnelWith(service: Omit<ServiceOptions, 'name' | 'accept'>): Promise<{ tunnel: Tunnel; port: number }> {
  const tunnel = createTunnel({ services: [{ name: 'mail', accept: [{ host: '127.0.0.1', port: 0 }], ...service }] });
  await tunnel.listen();
  const address = tunnel.addresses().get('mail')?.[0];
  if (address === undefined || typeof address === 'string') throw new Error('no TCP address');
  return { tunnel, port: address.port };
}

test(
  'through @tunnel/core, client mode: a plaintext client logs in to dovecot inside TLS',
  timed(async () => {
    const { tunnel, port } = await tunnelWith({ mode: 'client', connect: [{ host: '127.0.0.1', port: dovecot.pop3Port }], protocol });
    try {
      const client = new StreamChannel(await connectTcp(port));
      assert.match(await client.readLine(), /^\+OK Dovecot/);
      assert.match(await login(client), /^\+OK 0 0/);
      (client.stream as net.Socket).destroy();
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test(
  'through @tunnel/core, server mode: openssl s_client -starttls pop3 logs in to dovecot',
  timed(async () => {
    const { tunnel, port } = await tunnelWith({
      mode: 'server',
      cert: pki.read('server.pem'),
      key: pki.read('server.key'),
      connect: [{ host: '127.0.0.1', port: dovecot.pop3Port }],
      protocol,
    });
    try {
      const output = await run(
        'openssl',
        [
          's_client',
          '-starttls',
          'pop3',
          '-connect',
          `127.0.0.1:${port}`,
          '-CAfile',
          pki.ca,
          '-verify_return_error',
          '-ign_eof',
          '-crlf',
          '-quiet',
        ],
        { input: 'USER user\nPASS pass\nSTAT\nQUIT\n', timeoutMs: 10_000 },
      );
      assert.match(output, /\+OK 0 0/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test.run();
