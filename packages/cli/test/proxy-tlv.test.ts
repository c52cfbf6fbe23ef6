/**
 * `protocol = proxy` with `protocolVersion = 2` and `protocolTlv = yes` through the real tunnel CLI: an
 * `openssl s_client -servername -cert` client, and our PROXY parser as the upstream checking every TLS TLV.
 */
import net from 'node:net';
import { join } from 'node:path';
import { type ProxyHeader, readProxyHeader } from '@tunnel/proto-proxy';
import { StreamChannel } from '@tunnel/protocol';
import { freePort, listen, makePki, type Pki, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, startTunnel, writeConfig } from './helpers.js';

const dir = tempDir('tunnel-proxy-tlv-');
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path, leaves: { alice: { cn: 'alice' } } });
});
test.after(() => dir.remove());

test(
  'the upstream reads SNI, client-certificate flags, verify 0, TLS version, CN and cipher from the PROXY v2 header',
  timed(async () => {
    const headers: ProxyHeader[] = [];
    const upstream = net.createServer((socket) => {
      socket.on('error', () => {});
      const channel = new StreamChannel(socket);
      void readProxyHeader(channel).then(
        async (header) => {
          headers.push(header);
          const line = await channel.readLine().catch(() => undefined);
          if (line !== undefined) socket.end(`got ${line.toString().trim()}\n`);
        },
        (error: { code: string }) => socket.end(`error ${error.code}\n`),
      );
    });
    const upstreamPort = await listen(upstream);
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'tlv.conf'), [
      'foreground = yes',
      'syslog = no',
      '[tlv]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${upstreamPort}`,
      `cert = ${pki.combined('server')}`,
      `CAfile = ${pki.ca}`,
      'verify = 2',
      'protocol = proxy',
      'protocolVersion = 2',
      'protocolTlv = yes',
    ]);
    const tunnel = await startTunnel(file);
    const client = startProcess('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-quiet',
      '-servername',
      'svc.example',
      '-cert',
      pki.cert('alice'),
      '-key',
      pki.key('alice'),
    ]);
    try {
      client.child.stdin?.write('hello\n');
      await client.waitFor(/got hello/, 10_000);
      const tls = headers[0]?.tls;
      assert.is(tls?.authority, 'svc.example');
      assert.is(tls?.ssl?.client, 0x07, 'PP2_CLIENT_SSL | CERT_CONN | CERT_SESS');
      assert.is(tls?.ssl?.verify, 0);
      assert.is(tls?.ssl?.cn, 'alice');
      assert.is(tls?.ssl?.version, 'TLSv1.3');
      assert.match(tls?.ssl?.cipher ?? '', /^TLS_/);
    } finally {
      await client.stop();
      await tunnel.stop();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  }, 30_000),
);

test(
  'protocolTlv = yes without protocolVersion = 2 is refused at start-up',
  timed(async () => {
    const file = writeConfig(join(dir.path, 'tlv-v1.conf'), [
      '[tlv]',
      'accept = 127.0.0.1:0',
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
      'protocol = proxy',
      'protocolTlv = yes',
    ]);
    const result = await runTunnel(['-test', file]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /ERR_TUNNEL_PROXY_BAD_OPTION|protocolTlv = yes needs protocolVersion = 2/);
  }, 20_000),
);

test.run();
