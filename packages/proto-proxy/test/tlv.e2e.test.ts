/**
 * PROXY v2 TLS TLVs end to end through @tunnel/core: a real `openssl s_client -servername -alpn -cert` client,
 * our parser as the upstream (it checks every TLV), and Debian's haproxy `accept-proxy` as a second upstream
 * that must accept the header and read the AUTHORITY TLV (`fc_pp_authority`).
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { createTunnel, type PeerVerifier, type ServiceOptions, type Tunnel } from '@tunnel/core';
import { StreamChannel } from '@tunnel/protocol';
import { freePort, listen, makePki, type Pki, type RunningProcess, startProcess, tempDir, timed, waitForPort } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PP2_CLIENT, type ProxyHeader, protocol, readProxyHeader } from '../src/index.js';

const dir = tempDir('tunnel-proxy-tlv-');
let pki: Pki;
let haproxy: RunningProcess;
let tunnel: Tunnel;
let receiver: net.Server;
const headers: ProxyHeader[] = [];
const ports = { receiver: 0, haproxy: 0, toReceiver: 0, toHaproxy: 0 };

/** Asks for a client certificate and accepts any: the verdict is not what these tests look at. */
function askingVerifier(): PeerVerifier {
  return { tlsOptions: { requestCert: true, ca: [pki.read('ca.pem')] }, check: async () => ({ ok: true }) };
}

test.before(async () => {
  pki = await makePki({ dir: dir.path, leaves: { alice: { cn: 'alice' } } });
  // Our parser as the upstream: records each header, then answers one line.
  receiver = net.createServer((socket) => {
    socket.on('error', () => {});
    const channel = new StreamChannel(socket);
    readProxyHeader(channel).then(
      async (header) => {
        headers.push(header);
        const line = await channel.readLine().catch(() => undefined);
        if (line !== undefined) socket.end(`got ${line.toString().trim()}\n`);
      },
      (error: { code: string }) => socket.end(`error ${error.code}\n`),
    );
  });
  ports.receiver = await listen(receiver);
  ports.haproxy = await freePort();
  const config = join(dir.path, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'defaults',
      '  timeout connect 5s',
      '  timeout client 5s',
      '  timeout server 5s',
      'frontend tlv',
      '  mode http',
      `  bind 127.0.0.1:${ports.haproxy} accept-proxy`,
      '  http-request return status 200 content-type text/plain lf-string "authority=%[fc_pp_authority] client=%ci"',
      '',
    ].join('\n'),
  );
  haproxy = startProcess('haproxy', ['-db', '-f', config]);
  await waitForPort(ports.haproxy);
  // ALPN is a service option of core's; spread so this file does not depend on its exact type.
  const alpn = { alpn: ['h2', 'http/1.1'] };
  const service = (name: string, port: number): ServiceOptions => ({
    name,
    mode: 'server',
    accept: [{ host: '127.0.0.1', port: 0 }],
    cert: pki.read('server.pem'),
    key: pki.read('server.key'),
    connect: [{ host: '127.0.0.1', port }],
    protocol,
    protocolOptions: { extra: { version: '2', tlv: 'yes' } },
    verifier: askingVerifier(),
    ...alpn,
  });
  tunnel = createTunnel({ services: [service('to-receiver', ports.receiver), service('to-haproxy', ports.haproxy)] });
  await tunnel.listen();
  const portOf = (name: string) => {
    const [address] = tunnel.addresses().get(name) ?? [];
    if (address === undefined || typeof address === 'string') throw new Error(`no address for ${name}`);
    return address.port;
  };
  ports.toReceiver = portOf('to-receiver');
  ports.toHaproxy = portOf('to-haproxy');
});

test.after(async () => {
  await haproxy?.stop();
  await tunnel?.close({ graceful: false });
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  dir.remove();
});

async function sClient(port: number, args: readonly string[], input: string, expect: RegExp): Promise<string> {
  const client = startProcess('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', ...args]);
  try {
    client.child.stdin?.write(input);
    await client.waitFor(expect, 10_000);
    return client.output();
  } finally {
    await client.stop();
  }
}

test(
  'with protocolTlv = yes the upstream reads ALPN, AUTHORITY and SSL (flags, verify, version, CN, cipher) from the v2 header',
  timed(async () => {
    headers.length = 0;
    await sClient(
      ports.toReceiver,
      ['-servername', 'x.example', '-alpn', 'h2', '-cert', pki.cert('alice'), '-key', pki.key('alice'), '-tls1_3'],
      'hello\n',
      /got hello/,
    );
    const header = headers[0];
    assert.is(header?.version, 2);
    assert.is(header?.source?.address, '127.0.0.1');
    assert.is(header?.tls?.authority, 'x.example');
    assert.is(header?.tls?.alpn, 'h2');
    assert.equal(header?.tls?.ssl, {
      client: PP2_CLIENT.SSL | PP2_CLIENT.CERT_CONN | PP2_CLIENT.CERT_SESS,
      verify: 0,
      version: 'TLSv1.3',
      cn: 'alice',
      cipher: header?.tls?.ssl?.cipher,
      sigAlg: undefined,
      keyAlg: undefined,
    });
    assert.match(header?.tls?.ssl?.cipher ?? '', /^TLS_AES_|^TLS_CHACHA20_/);
  }, 20_000),
);

test(
  'a client without certificate, SNI or ALPN gets PP2_CLIENT_SSL alone and a non-zero verify',
  timed(async () => {
    headers.length = 0;
    await sClient(ports.toReceiver, ['-noservername', '-tls1_2'], 'plain\n', /got plain/);
    const tls = headers[0]?.tls;
    assert.is(tls?.authority, undefined);
    assert.is(tls?.alpn, undefined);
    assert.is(tls?.ssl?.client, PP2_CLIENT.SSL);
    assert.is.not(tls?.ssl?.verify, 0);
    assert.is(tls?.ssl?.cn, undefined);
    assert.is(tls?.ssl?.version, 'TLSv1.2');
  }, 20_000),
);

test(
  'haproxy accept-proxy takes the header with TLVs and reads the SNI from it (fc_pp_authority)',
  timed(async () => {
    const output = await sClient(
      ports.toHaproxy,
      ['-servername', 'app.example', '-cert', pki.cert('alice'), '-key', pki.key('alice')],
      'GET / HTTP/1.0\r\nHost: x\r\n\r\n',
      /authority=\S+ client=\S+/,
    );
    assert.match(output, /authority=app\.example client=127\.0\.0\.1/);
  }, 20_000),
);

test.run();
