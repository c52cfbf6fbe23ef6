import type net from 'node:net';
import tls from 'node:tls';
import { createTunnel, type ServiceOptions, type Tunnel } from '@tunnel/core';
import { StreamChannel } from '@tunnel/protocol';
import { connectTcp, makePki, type Pki, run, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticate, protocol, readReply, startTlsClient } from '../src/index.js';
import { startHarness } from './harness.js';
import { type Dovecot, type Postfix, startDovecot, startPostfix } from './peers.js';

// One private dovecot (SASL only) and one private postfix for the whole file.
const dir = tempDir('tunnel-smtp-');
let pki: Pki;
let dovecot: Dovecot;
let postfix: Postfix;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  dovecot = await startDovecot(dir.path, pki);
  postfix = await startPostfix(dir.path, pki, dovecot.authSocket);
});

test.after(async () => {
  await postfix?.stop();
  await dovecot?.stop();
  dir.remove();
});

/** Connects to postfix, does STARTTLS with startTlsClient, and starts a verified TLS session on the same socket. */
async function secureSession(): Promise<{
  socket: tls.TLSSocket;
  channel: StreamChannel;
  result: Awaited<ReturnType<typeof startTlsClient>>;
}> {
  const raw = await connectTcp(postfix.port);
  const result = await startTlsClient(raw, { ehloName: 'client.test.example' });
  const socket = tls.connect({ socket: raw, ca: pki.read('ca.pem'), servername: 'localhost' });
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return { socket, channel: new StreamChannel(socket), result };
}

test(
  'startTlsClient negotiates STARTTLS with postfix and a verified TLS session runs on the socket',
  timed(async () => {
    const { socket, channel, result } = await secureSession();
    assert.match(result.greeting[0] ?? '', /^220 mx\.test\.example ESMTP Postfix/);
    assert.ok(result.startTlsAdvertised);
    assert.ok(socket.authorized);
    await channel.writeLine('EHLO client.test.example');
    const ehlo = await readReply(channel);
    assert.is(ehlo.code, 250);
    assert.ok(
      ehlo.lines.some((line) => /AUTH .*PLAIN/.test(line)),
      'postfix offers AUTH only inside TLS',
    );
    await channel.writeLine('QUIT');
    assert.is((await readReply(channel)).code, 221);
    socket.destroy();
  }, 15_000),
);

for (const mechanism of ['plain', 'login'] as const) {
  test(
    `authenticate logs in to postfix (dovecot SASL) with AUTH ${mechanism.toUpperCase()} inside TLS`,
    timed(async () => {
      const { socket, channel } = await secureSession();
      await authenticate(channel, { mechanism, username: 'user', password: 'pass', heloName: 'client.test.example' });
      // A second AUTH is refused once the session is authenticated (RFC 4954 section 4).
      await channel.writeLine(`AUTH PLAIN ${Buffer.from('\0user\0pass').toString('base64')}`);
      assert.is((await readReply(channel)).code, 503);
      socket.destroy();
    }, 15_000),
  );
}

test(
  'authenticate fails with ERR_TUNNEL_SMTP_AUTH_FAILED when postfix refuses the password',
  timed(async () => {
    const { socket, channel } = await secureSession();
    try {
      await authenticate(channel, { mechanism: 'plain', username: 'user', password: 'wrong' });
      assert.unreachable('should fail');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SMTP_AUTH_FAILED');
    }
    socket.destroy();
  }, 15_000),
);

test(
  'client mode: a plaintext client sees the real greeting and reaches postfix inside TLS, already authenticated',
  timed(async () => {
    const harness = await startHarness({
      protocol,
      mode: 'client',
      upstreamPort: postfix.port,
      pki,
      protocolOptions: { username: 'user', password: 'pass', authentication: 'login' },
    });
    const client = new StreamChannel(await connectTcp(harness.port));
    const greeting = await readReply(client);
    assert.match(greeting.lines[0] ?? '', /^220 mx\.test\.example ESMTP Postfix/);
    await client.writeLine('EHLO me.example');
    assert.is((await readReply(client)).code, 250);
    await client.writeLine(`AUTH PLAIN ${Buffer.from('\0user\0pass').toString('base64')}`);
    const again = await readReply(client);
    assert.is(again.code, 503, 'postfix says the session is already authenticated');
    await client.writeLine('QUIT');
    assert.is((await readReply(client)).code, 221);
    assert.equal(harness.errors, []);
    (client.stream as net.Socket).destroy();
    await harness.close();
  }, 15_000),
);

test(
  'server mode: openssl s_client -starttls smtp reaches postfix through the negotiator',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'server', upstreamPort: postfix.plainPort, pki });
    const output = await run(
      'openssl',
      [
        's_client',
        '-starttls',
        'smtp',
        '-connect',
        `127.0.0.1:${harness.port}`,
        '-CAfile',
        pki.ca,
        '-verify_return_error',
        '-ign_eof',
        '-crlf',
        '-quiet',
      ],
      { input: 'EHLO client.example\nQUIT\n', timeoutMs: 10_000 },
    );
    assert.match(output, /250-mx\.test\.example/);
    assert.match(output, /250[- ]AUTH/);
    assert.match(output, /221 2\.0\.0 Bye/);
    assert.equal(harness.errors, []);
    await harness.close();
  }, 15_000),
);

test(
  'server mode: swaks --tls logs in with AUTH PLAIN to postfix through the negotiator',
  timed(async () => {
    const harness = await startHarness({ protocol, mode: 'server', upstreamPort: postfix.plainPort, pki });
    const output = await run(
      'swaks',
      [
        '--server',
        `127.0.0.1:${harness.port}`,
        '--tls',
        '--auth',
        'PLAIN',
        '--auth-user',
        'user',
        '--auth-password',
        'pass',
        '--quit-after',
        'AUTH',
      ],
      { timeoutMs: 10_000 },
    );
    assert.match(output, /stunnel for ESMTP Postfix/);
    assert.match(output, /220 Go ahead/);
    assert.match(output, /235 2\.7\.0 Authentication successful/);
    assert.equal(harness.errors, []);
    await harness.close();
  }, 15_000),
);

/** Starts @tunnel/core with one service and returns it with its port. */
async function tunnelWith(service: Omit<ServiceOptions, 'name' | 'accept'>): Promise<{ tunnel: Tunnel; port: number }> {
  const tunnel = createTunnel({ services: [{ name: 'smtp', accept: [{ host: '127.0.0.1', port: 0 }], ...service }] });
  await tunnel.listen();
  const address = tunnel.addresses().get('smtp')?.[0];
  if (address === undefined || typeof address === 'string') throw new Error('no TCP address');
  return { tunnel, port: address.port };
}

test(
  'through @tunnel/core, client mode: STARTTLS and AUTH LOGIN to postfix, then the plaintext client talks inside TLS',
  timed(async () => {
    const { tunnel, port } = await tunnelWith({
      mode: 'client',
      connect: [{ host: '127.0.0.1', port: postfix.port }],
      protocol,
      protocolOptions: { username: 'user', password: 'pass', authentication: 'login', host: 'client.test.example' },
    });
    try {
      const client = new StreamChannel(await connectTcp(port));
      assert.match((await readReply(client)).lines[0] ?? '', /^220 mx\.test\.example ESMTP Postfix/);
      await client.writeLine('EHLO me.example');
      assert.is((await readReply(client)).code, 250);
      await client.writeLine(`AUTH PLAIN ${Buffer.from('\0user\0pass').toString('base64')}`);
      assert.is((await readReply(client)).code, 503, 'already authenticated by the tunnel');
      await client.writeLine('QUIT');
      assert.is((await readReply(client)).code, 221);
      (client.stream as net.Socket).destroy();
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test(
  'through @tunnel/core, server mode: swaks --tls logs in to postfix',
  timed(async () => {
    const { tunnel, port } = await tunnelWith({
      mode: 'server',
      cert: pki.read('server.pem'),
      key: pki.read('server.key'),
      connect: [{ host: '127.0.0.1', port: postfix.plainPort }],
      protocol,
    });
    try {
      const output = await run(
        'swaks',
        [
          '--server',
          `127.0.0.1:${port}`,
          '--tls',
          '--auth',
          'LOGIN',
          '--auth-user',
          'user',
          '--auth-password',
          'pass',
          '--quit-after',
          'AUTH',
        ],
        { timeoutMs: 10_000 },
      );
      assert.match(output, /220 Go ahead/);
      assert.match(output, /235 2\.7\.0 Authentication successful/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test(
  'through @tunnel/core, server mode: plaintext pipelined after STARTTLS is refused (CVE-2011-0411)',
  timed(async () => {
    const { tunnel, port } = await tunnelWith({
      mode: 'server',
      cert: pki.read('server.pem'),
      key: pki.read('server.key'),
      connect: [{ host: '127.0.0.1', port: postfix.plainPort }],
      protocol,
    });
    try {
      const raw = await connectTcp(port);
      const client = new StreamChannel(raw);
      await readReply(client);
      await client.writeLine('EHLO me');
      await readReply(client);
      await client.write('STARTTLS\r\nMAIL FROM:<injected@example>\r\n');
      assert.is(await client.readLine(), '220 Go ahead');
      const secure = tls.connect({ socket: raw, ca: pki.read('ca.pem'), servername: 'localhost' });
      const outcome = await new Promise<string>((resolve) => {
        secure.once('secureConnect', () => resolve('handshake'));
        secure.once('error', () => resolve('refused'));
        secure.once('close', () => resolve('refused'));
      });
      assert.is(outcome, 'refused');
      secure.destroy();
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test.run();
