import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, echoServer, makePki, run, tempDir, timed } from '@tunnel/testkit';
import { createTunnel, type ServiceOptions, type TunnelError } from '../src/index.js';
import { bannerServer, exchange, startTunnel, tlsClient } from './helpers.js';

const dir = tempDir();
let pki: Pki;
let echo: EchoServer;
const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const psk = new Map([
  ['alice', key],
  ['bob', Buffer.from('bob-has-a-long-ascii-key')],
]);

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  echo = await echoServer();
});

test.after(async () => {
  await echo.close();
  dir.remove();
});

const base = (over: Partial<ServiceOptions>): ServiceOptions => ({
  name: 'svc',
  mode: 'server',
  accept: [{ host: '127.0.0.1', port: 0 }],
  connect: [{ host: '127.0.0.1', port: echo.port }],
  ...over,
});

function refusal(options: ServiceOptions): TunnelError {
  try {
    createTunnel({ services: [options] });
  } catch (error) {
    return error as TunnelError;
  }
  throw new Error('the service was accepted');
}

test(
  'a PSK server needs no certificate and serves a client presenting a known identity with its key',
  timed(async () => {
    const { tunnel, port } = await startTunnel([base({ psk })]);
    try {
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        const client = await tlsClient({
          host: '127.0.0.1',
          port: port(),
          maxVersion,
          ciphers: 'PSK-AES128-GCM-SHA256:ECDHE-PSK-AES128-CBC-SHA256',
          pskCallback: () => ({ identity: 'bob', psk: Buffer.from('bob-has-a-long-ascii-key') }),
          checkServerIdentity: () => undefined,
        });
        assert.is(client.getProtocol(), maxVersion);
        assert.is(String(await exchange(client, Buffer.from('ping'))), 'ping');
      }
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test(
  'a PSK server refuses an unknown identity during the handshake',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([base({ psk })]);
    try {
      const { connect } = await import('node:tls');
      const socket = connect({
        host: '127.0.0.1',
        port: port(),
        pskCallback: () => ({ identity: 'mallory', psk: key }),
        checkServerIdentity: () => undefined,
      });
      const [error] = (await once(socket, 'error').catch((e) => [e])) as [Error & { code?: string }];
      assert.ok(error instanceof Error);
      socket.destroy();
      await logger.waitFor(/ERR_TUNNEL_TLS_HANDSHAKE|SSL_accept/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test(
  'a PSK client presents the first identity by default and PSKidentity when given, to a PSK server',
  timed(async () => {
    const server = await startTunnel([base({ name: 'server', psk: new Map([['bob', psk.get('bob') as Buffer]]) })]);
    const other = await startTunnel([base({ name: 'server2', psk: new Map([['alice', key]]) })]);
    const client = await startTunnel([
      base({ name: 'first', mode: 'client', connect: [{ host: '127.0.0.1', port: other.port() }], psk }),
      base({ name: 'chosen', mode: 'client', connect: [{ host: '127.0.0.1', port: server.port() }], psk, pskIdentity: 'bob' }),
    ]);
    try {
      for (const name of ['first', 'chosen']) {
        const { connectTcp } = await import('@tunnel/testkit');
        const socket = await connectTcp(client.port(name));
        assert.is(String(await exchange(socket, Buffer.from(name))), name);
      }
    } finally {
      await client.tunnel.close({ graceful: false });
      await server.tunnel.close({ graceful: false });
      await other.tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'PSK settings that cannot work are refused when the service is built',
  timed(() => {
    const cases: Array<[Partial<ServiceOptions>, string]> = [
      [{ psk: new Map() }, 'PSKsecrets'],
      [{ psk: new Map([['a', Buffer.alloc(15)]]) }, 'PSKsecrets'],
      [{ psk: new Map([['a'.repeat(257), key]]) }, 'PSKsecrets'],
      [{ mode: 'client', psk, pskIdentity: 'carol' }, 'PSKidentity'],
    ];
    for (const [over, option] of cases) {
      const error = refusal(base(over));
      assert.is(error.code, 'ERR_TUNNEL_CONFIG');
      assert.is(error.option, option);
    }
  }, 5_000),
);

test(
  'a server with alpn selects in its own order and connectALPN routes each protocol to its backend',
  timed(async () => {
    const h2 = await bannerServer('h2-backend');
    const h1 = await bannerServer('h1-backend');
    const fallback = await bannerServer('fallback');
    const { tunnel, port, logger } = await startTunnel([
      base({
        cert: readFileSync(pki.combined('server')),
        connect: [{ host: '127.0.0.1', port: fallback.port }],
        alpn: ['h2', 'http/1.1'],
        alpnRoutes: [
          { protocol: 'h2', connect: [{ host: '127.0.0.1', port: h2.port }] },
          { protocol: 'http/1.1', connect: [{ host: '127.0.0.1', port: h1.port }] },
        ],
      }),
    ]);
    try {
      const cases: Array<[string[] | undefined, string | false, string]> = [
        [['http/1.1', 'h2'], 'h2', 'h2-backend'],
        [['http/1.1'], 'http/1.1', 'h1-backend'],
        [undefined, false, 'fallback'],
      ];
      for (const [offer, negotiated, banner] of cases) {
        const client = await tlsClient({ host: '127.0.0.1', port: port(), ...(offer === undefined ? {} : { ALPNProtocols: offer }) });
        assert.is(client.alpnProtocol, negotiated);
        assert.is(String(await exchange(client, Buffer.alloc(0))).trim(), banner);
      }
      await logger.waitFor(/ALPN: "h2" routed to 127\.0\.0\.1:\d+/);
    } finally {
      await tunnel.close({ graceful: false });
      await Promise.all([h2.close(), h1.close(), fallback.close()]);
    }
  }, 20_000),
);

test(
  'a client with alpn requests it from the server',
  timed(async () => {
    const server = await startTunnel([base({ name: 'server', cert: readFileSync(pki.combined('server')), alpn: ['x-a', 'x-b'] })]);
    const client = await startTunnel([
      base({ name: 'client', mode: 'client', connect: [{ host: '127.0.0.1', port: server.port() }], alpn: ['x-b'] }),
    ]);
    try {
      const { connectTcp } = await import('@tunnel/testkit');
      const socket = await connectTcp(client.port());
      assert.is(String(await exchange(socket, Buffer.from('hello'))), 'hello');
      await client.logger.waitFor(/TLS connected/);
    } finally {
      await client.tunnel.close({ graceful: false });
      await server.tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test(
  'a PKCS#12 certificate with an empty password serves TLS, and one with key = is refused',
  timed(async () => {
    const p12 = join(dir.path, 'server.p12');
    await run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      pki.cert('server'),
      '-inkey',
      pki.key('server'),
      '-certfile',
      pki.ca,
      '-passout',
      'pass:',
      '-out',
      p12,
    ]);
    const { tunnel, port } = await startTunnel([base({ pfx: readFileSync(p12) })]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      assert.match(String(client.getPeerCertificate().subject.CN), /./);
      assert.is(String(await exchange(client, Buffer.from('p12'))), 'p12');
    } finally {
      await tunnel.close({ graceful: false });
    }
    const error = refusal(base({ pfx: readFileSync(p12), key: readFileSync(pki.key('server')) }));
    assert.is(error.code, 'ERR_TUNNEL_CONFIG');
    assert.is(error.option, 'key');
  }, 20_000),
);

test(
  'ciphersuites limits the TLS 1.3 suites (Node has no ciphersuites option of its own) and keeps TLS 1.2 working',
  timed(async () => {
    const { tunnel, port } = await startTunnel([
      base({ cert: readFileSync(pki.combined('server')), ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' }),
    ]);
    try {
      const modern = await tlsClient({ host: '127.0.0.1', port: port() });
      assert.is(modern.getCipher().standardName, 'TLS_CHACHA20_POLY1305_SHA256');
      modern.destroy();
      const legacy = await tlsClient({ host: '127.0.0.1', port: port(), maxVersion: 'TLSv1.2' });
      assert.is(legacy.getProtocol(), 'TLSv1.2');
      legacy.destroy();
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 15_000),
);

test.run();
