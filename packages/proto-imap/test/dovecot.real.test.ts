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

// One private dovecot (IMAP on a fresh plaintext port, STARTTLS with the test certificate) for the whole file.
const dir = tempDir('tunnel-imap-');
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

/** Reads lines until the tagged answer to `tag`; returns all of them. */
async function until(channel: StreamChannel, tag: string): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const line = await channel.readLine({ maxLength: 8192 });
    lines.push(line);
    if (line.startsWith(`${tag} `)) return lines;
  }
}

test(
  'startTlsClient negotiates STARTTLS with dovecot and a verified TLS session with a login runs on the socket',
  timed(async () => {
    const raw = await connectTcp(dovecot.imapPort);
    const { greeting } = await startTlsClient(raw);
    assert.match(greeting, /^\* OK/);
    const secure = tls.connect({ socket: raw, ca: pki.read('ca.pem'), servername: 'localhost' });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    assert.ok(secure.authorized);
    const channel = new StreamChannel(secure);
    await channel.writeLine('a LOGIN user pass');
    assert.match((await until(channel, 'a')).at(-1) ?? '', /^a OK/);
    secure.destroy();
  }, 15_000),
);

test(
  'client mode: a plaintext client gets * OK Connected. and logs in to dovecot inside TLS',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'client', upstreamPort: dovecot.imapPort, pki });
    const client = new StreamChannel(await connectTcp(harness.port));
    assert.is(await client.readLine(), '* OK Connected.');
    await client.writeLine('a CAPABILITY');
    const capability = await until(client, 'a');
    assert.ok(capability.some((line) => /^\* CAPABILITY .*AUTH=PLAIN/.test(line)));
    assert.not.ok(
      capability.some((line) => /STARTTLS/.test(line)),
      'inside TLS dovecot no longer offers STARTTLS',
    );
    await client.writeLine('b LOGIN user pass');
    assert.match((await until(client, 'b')).at(-1) ?? '', /^b OK/);
    assert.equal(harness.errors, []);
    (client.stream as net.Socket).destroy();
    await harness.close();
  }, 15_000),
);

test(
  'server mode: openssl s_client -starttls imap logs in to dovecot through the negotiator',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'server', upstreamPort: dovecot.imapPort, pki });
    const output = await run(
      'openssl',
      [
        's_client',
        '-starttls',
        'imap',
        '-connect',
        `127.0.0.1:${harness.port}`,
        '-CAfile',
        pki.ca,
        '-verify_return_error',
        '-ign_eof',
        '-crlf',
        '-quiet',
      ],
      { input: 'a LOGIN user pass\nb LOGOUT\n', timeoutMs: 10_000 },
    );
    assert.match(output, /a OK .*Logged in/);
    assert.match(output, /b OK Logout completed/);
    assert.equal(harness.errors, []);
    await harness.close();
  }, 15_000),
);

test(
  'server mode: the greeting is marked (stunnel) and CAPABILITY from dovecot gains STARTTLS',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'server', upstreamPort: dovecot.imapPort, pki });
    const raw = await connectTcp(harness.port);
    const plain = new StreamChannel(raw);
    const greeting = await plain.readLine({ maxLength: 8192 });
    assert.match(greeting, /^\* OK .*\(stunnel\)$/);
    assert.not.match(greeting, /\[CAPABILITY /);
    await plain.writeLine('c1 CAPABILITY');
    const capability = await until(plain, 'c1');
    assert.match(capability[0] ?? '', /^\* CAPABILITY .* STARTTLS$/);
    assert.match(capability.at(-1) ?? '', /^c1 OK/);
    await plain.writeLine('c2 STARTTLS');
    assert.is(await plain.readLine(), 'c2 OK Begin TLS negotiation now');
    const secure = tls.connect({ socket: raw, ca: pki.read('ca.pem'), servername: 'localhost' });
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    const channel = new StreamChannel(secure);
    await channel.writeLine('c3 LOGIN user pass');
    assert.match((await until(channel, 'c3')).at(-1) ?? '', /^c3 OK/);
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
    const { tunnel, port } = await tunnelWith({ mode: 'client', connect: [{ host: '127.0.0.1', port: dovecot.imapPort }], protocol });
    try {
      const client = new StreamChannel(await connectTcp(port));
      assert.is(await client.readLine(), '* OK Connected.');
      await client.writeLine('b LOGIN user pass');
      assert.match((await until(client, 'b')).at(-1) ?? '', /^b OK/);
      (client.stream as net.Socket).destroy();
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test(
  'through @tunnel/core, server mode: openssl s_client -starttls imap logs in to dovecot',
  timed(async () => {
    const { tunnel, port } = await tunnelWith({
      mode: 'server',
      cert: pki.read('server.pem'),
      key: pki.read('server.key'),
      connect: [{ host: '127.0.0.1', port: dovecot.imapPort }],
      protocol,
    });
    try {
      const output = await run(
        'openssl',
        [
          's_client',
          '-starttls',
          'imap',
          '-connect',
          `127.0.0.1:${port}`,
          '-CAfile',
          pki.ca,
          '-verify_return_error',
          '-ign_eof',
          '-crlf',
          '-quiet',
        ],
        { input: 'a LOGIN user pass\nb LOGOUT\n', timeoutMs: 10_000 },
      );
      assert.match(output, /a OK .*Logged in/);
      assert.match(output, /b OK Logout completed/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test.run();
