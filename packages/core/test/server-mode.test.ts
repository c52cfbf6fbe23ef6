import { readFileSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type EchoServer, type Pki, echoServer, makePki, randomPayload, sha256, startProcess, tempDir, timed } from '@tunnel/testkit';
import { createTunnel } from '../src/index.js';
import { bannerServer, exchange, memoryLogger, startTunnel, tlsClient } from './helpers.js';

const dir = tempDir();
let pki: Pki;
let echo: EchoServer;

test.before(async () => {
  pki = await makePki({
    dir: dir.path,
    leaves: { a: { cn: 'a.example', san: 'DNS:a.example' }, wild: { cn: 'wild.example', san: 'DNS:*.wild.example' } },
  });
  echo = await echoServer();
});

test.after(async () => {
  await echo.close();
  dir.remove();
});

const serverCert = () => readFileSync(pki.combined('server'));

test(
  'server mode carries 10 MB both ways from a Node TLS client to a plain backend with matching checksums',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'echo',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: serverCert(),
      },
    ]);
    try {
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      const payload = randomPayload(10 * 1024 * 1024);
      const back = await exchange(client, payload);
      assert.is(back.length, payload.length);
      assert.is(sha256(back), sha256(payload));
      await logger.waitFor(/Connection closed: 10485760 byte\(s\) sent to TLS, 10485760 byte\(s\) sent to socket/);
      assert.match(logger.text(), /LOG5\[\d+\]: Service \[echo\] accepted connection from 127\.0\.0\.1:\d+/);
      assert.match(logger.text(), /LOG6\[\d+\]: TLS accepted: new session negotiated/);
      assert.match(logger.text(), /LOG6\[\d+\]: TLSv1\.3 ciphersuite: TLS_/);
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 20_000),
);

test(
  'openssl s_client talks through server mode to the backend',
  timed(async () => {
    const { tunnel, port } = await startTunnel([
      {
        name: 'echo',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: serverCert(),
      },
    ]);
    const client = startProcess('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${port()}`,
      '-CAfile',
      pki.ca,
      '-verify_return_error',
      '-quiet',
    ]);
    try {
      client.child.stdin?.write('hello through openssl\n');
      await client.waitFor(/hello through openssl/);
    } finally {
      await client.stop();
      await tunnel.close({ graceful: false });
    }
  }, 10_000),
);

test(
  'SNI selects the slave service whose pattern matches, with its certificate and backend; other names use the master',
  timed(async () => {
    const master = await bannerServer('backend-master');
    const slaveA = await bannerServer('backend-a');
    const slaveWild = await bannerServer('backend-wild');
    const { tunnel, port } = await startTunnel([
      {
        name: 'master',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: master.port }],
        cert: serverCert(),
        sniServices: [
          {
            pattern: 'a.example',
            service: { name: 'slave-a', connect: [{ host: '127.0.0.1', port: slaveA.port }], cert: readFileSync(pki.combined('a')) },
          },
          {
            pattern: '*.wild.example',
            service: {
              name: 'slave-wild',
              connect: [{ host: '127.0.0.1', port: slaveWild.port }],
              cert: readFileSync(pki.combined('wild')),
            },
          },
        ],
      },
    ]);
    const probe = async (servername: string, backend: RegExp, subject: RegExp) => {
      const client = startProcess('openssl', ['s_client', '-connect', `127.0.0.1:${port()}`, '-servername', servername]);
      try {
        await client.waitFor(backend);
        assert.match(client.output(), subject);
      } finally {
        await client.stop();
      }
    };
    try {
      await probe('a.example', /backend-a/, /subject=CN ?= ?a\.example/);
      await probe('x.y.wild.example', /backend-wild/, /subject=CN ?= ?wild\.example/);
      await probe('other.example', /backend-master/, /subject=CN ?= ?localhost/);
    } finally {
      await tunnel.close({ graceful: false });
      await Promise.all([master.close(), slaveA.close(), slaveWild.close()]);
    }
  }, 15_000),
);

test(
  'a TLS version mismatch fails that handshake while the service keeps serving other clients',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'only13',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: serverCert(),
        sslVersion: 'TLSv1.3',
      },
    ]);
    try {
      const old = startProcess('openssl', ['s_client', '-connect', `127.0.0.1:${port()}`, '-tls1_2']);
      await old.exited();
      assert.match(old.output(), /alert|error/i);
      await logger.waitFor(/LOG3\[\d+\]: tls: SSL_accept: unsupported protocol/);
      await logger.waitFor(/Connection reset: 0 byte\(s\) sent to TLS, 0 byte\(s\) sent to socket/);
      const client = await tlsClient({ host: '127.0.0.1', port: port() });
      assert.is(client.getProtocol(), 'TLSv1.3');
      assert.is((await exchange(client, Buffer.from('still serving'))).toString(), 'still serving');
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 10_000),
);

test(
  'a cipher mismatch fails that handshake while a client with a shared cipher gets through',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'aes128',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: serverCert(),
        sslVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      },
    ]);
    try {
      const bad = startProcess('openssl', [
        's_client',
        '-connect',
        `127.0.0.1:${port()}`,
        '-tls1_2',
        '-cipher',
        'ECDHE-ECDSA-AES256-GCM-SHA384',
      ]);
      await bad.exited();
      await logger.waitFor(/SSL_accept: .*no shared cipher/i);
      const client = await tlsClient({ host: '127.0.0.1', port: port(), ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' });
      assert.is(client.getCipher().name, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      assert.is((await exchange(client, Buffer.from('shared'))).toString(), 'shared');
    } finally {
      await tunnel.close({ graceful: false });
    }
  }, 10_000),
);

test(
  'server mode listens on IPv6 ::1 and on a Unix socket, and connects to an IPv6 backend',
  timed(async () => {
    const echo6 = await echoServer('::1');
    const socketPath = join(dir.path, 'tunnel.sock');
    const { tunnel, port } = await startTunnel([
      {
        name: 'v6',
        mode: 'server',
        accept: [
          { host: '::1', port: 0 },
          { path: socketPath, mode: 0o600 },
        ],
        connect: [{ host: '::1', port: echo6.port }],
        cert: serverCert(),
      },
    ]);
    try {
      const over6 = await tlsClient({ host: '::1', port: port('v6') });
      assert.is((await exchange(over6, Buffer.from('six'))).toString(), 'six');
      const raw = netConnect({ path: socketPath, allowHalfOpen: true });
      await once(raw, 'connect');
      const overUnix = await tlsClient({ socket: raw });
      assert.is((await exchange(overUnix, Buffer.from('unix'))).toString(), 'unix');
      assert.is(statSync(socketPath).mode & 0o777, 0o600);
    } finally {
      await tunnel.close({ graceful: false });
      await echo6.close();
    }
  }, 10_000),
);

test(
  'a port in use is an error naming the service, and nothing else stays bound',
  timed(async () => {
    const first = await startTunnel([
      {
        name: 'first',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: serverCert(),
      },
    ]);
    const taken = first.port();
    const tunnel = createTunnel({
      services: [
        {
          name: 'free',
          mode: 'server',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [{ host: '127.0.0.1', port: echo.port }],
          cert: serverCert(),
        },
        {
          name: 'clash',
          mode: 'server',
          accept: [{ host: '127.0.0.1', port: taken }],
          connect: [{ host: '127.0.0.1', port: echo.port }],
          cert: serverCert(),
        },
      ],
      logger: memoryLogger(),
    });
    try {
      const error = await tunnel.listen().then(
        () => undefined,
        (e: unknown) => e as { code: string; service: string; message: string },
      );
      assert.is(error?.code, 'ERR_TUNNEL_ADDRESS_IN_USE');
      assert.is(error?.service, 'clash');
      assert.match(error?.message ?? '', /Service \[clash\]/);
      assert.is(tunnel.addresses().size, 0);
    } finally {
      await first.tunnel.close({ graceful: false });
    }
  }, 10_000),
);

test.run();
