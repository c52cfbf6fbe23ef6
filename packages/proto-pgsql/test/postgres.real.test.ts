import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { StreamChannel } from '@tunnel/protocol';
import { connectTcp, listen, run, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptTlsRequest, requestTls } from '../src/index.js';
import { rejection } from './context.js';
import { type Cluster, startCluster } from './postgres.js';

// Real peers: Debian's PostgreSQL 15 server (a private cluster) and psql / openssl s_client as clients.
let cluster: Cluster;
const servers: net.Server[] = [];
const errors: { code?: string }[] = [];

test.before(async () => {
  cluster = await startCluster();
});
test.after(async () => {
  for (const server of servers) server.close();
  await cluster?.stop();
});
test.before.each(() => {
  errors.length = 0;
});

function pump(a: net.Socket | tls.TLSSocket, b: net.Socket | tls.TLSSocket): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
}

/** A minimal client-mode tunnel: plaintext in, SSLRequest + TLS toward PostgreSQL. */
async function clientTunnel(): Promise<number> {
  const server = net.createServer(async (local) => {
    local.on('error', () => {});
    const upstream = await connectTcp(cluster.port);
    try {
      await requestTls(upstream);
      const secure = tls.connect({ socket: upstream, ca: readFileSync(cluster.pki.ca), servername: 'localhost' });
      await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      pump(local, secure);
    } catch (error) {
      errors.push(error as { code?: string });
      local.destroy();
      upstream.destroy();
    }
  });
  servers.push(server);
  return listen(server);
}

/** A minimal server-mode tunnel: SSLRequest + TLS from the client, plaintext toward PostgreSQL. */
async function serverTunnel(): Promise<number> {
  const server = net.createServer(async (local) => {
    local.on('error', () => {});
    try {
      await acceptTlsRequest(local);
      const secure = new tls.TLSSocket(local, {
        isServer: true,
        key: cluster.pki.read('server.key'),
        cert: cluster.pki.read('server.pem'),
      });
      const upstream = await connectTcp(cluster.port);
      pump(secure, upstream);
    } catch (error) {
      errors.push(error as { code?: string });
      local.destroy();
    }
  });
  servers.push(server);
  return listen(server);
}

const psql = (conninfo: string, query: string) => run('psql', [conninfo, '-XAtc', query], { timeoutMs: 15_000 });

test(
  'requestTls against a real PostgreSQL server leads to a TLS session that authenticates',
  timed(async () => {
    const socket = await connectTcp(cluster.port);
    await requestTls(socket);
    const secure = tls.connect({ socket, ca: readFileSync(cluster.pki.ca), servername: 'localhost' });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const body = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length + 8, 0);
    head.writeUInt32BE(0x00030000, 4);
    secure.write(Buffer.concat([head, body]));
    const reply = await new StreamChannel(secure).readBytes(9);
    assert.is(String.fromCharCode(reply[0]!), 'R', 'an Authentication message');
    assert.is(reply.readUInt32BE(5), 0, 'AuthenticationOk');
    secure.destroy();
  }, 15_000),
);

test(
  'client mode: psql with sslmode=disable reaches PostgreSQL over TLS through the negotiator',
  timed(async () => {
    const port = await clientTunnel();
    const out = await psql(
      `host=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=disable`,
      'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
    );
    assert.is(out.trim(), 't', 'the backend sees an SSL connection');
    assert.equal(errors, []);
  }, 20_000),
);

test(
  'server mode: psql with sslmode=verify-ca talks TLS to the negotiator and reaches plaintext PostgreSQL',
  timed(async () => {
    const port = await serverTunnel();
    const out = await psql(
      `host=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=verify-ca sslrootcert=${cluster.pki.ca}`,
      "select ssl::text || ' ' || current_user from pg_stat_ssl where pid = pg_backend_pid()",
    );
    assert.is(out.trim(), 'false postgres', 'the backend connection itself is plaintext');
    assert.equal(errors, []);
  }, 20_000),
);

test(
  'server mode: psql with sslmode=disable is told TLS is required and rejected',
  timed(async () => {
    const port = await serverTunnel();
    const error = await rejection(psql(`host=127.0.0.1 port=${port} user=postgres dbname=postgres sslmode=disable`, 'select 1'));
    assert.match(String((error as { stderr?: string }).stderr), /accepts only SSL connections/);
    assert.is(errors[0]?.code, 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST');
  }, 20_000),
);

test(
  'server mode: openssl s_client -starttls postgres completes a verified handshake',
  timed(async () => {
    const port = await serverTunnel();
    const out = await run(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-starttls', 'postgres', '-CAfile', cluster.pki.ca, '-verify_return_error'],
      { input: '', timeoutMs: 10_000 },
    );
    assert.match(out, /Verify return code: 0 \(ok\)/);
    assert.equal(errors, []);
  }, 15_000),
);

test(
  'client mode fails with ERR_TUNNEL_PGSQL_NO_SSL once the real server turns ssl off',
  timed(async () => {
    await cluster.sql('alter system set ssl = off');
    await cluster.sql('select pg_reload_conf()');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const socket = await connectTcp(cluster.port);
    const error = await rejection(requestTls(socket));
    assert.is(error.code, 'ERR_TUNNEL_PGSQL_NO_SSL');
    socket.destroy();
  }, 15_000),
);

test.run();
