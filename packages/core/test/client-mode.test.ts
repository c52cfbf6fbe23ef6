import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type EchoServer,
  type Pki,
  type RunningProcess,
  connectTcp,
  echoServer,
  makePki,
  randomPayload,
  sha256,
  startProcess,
  tempDir,
  timed,
} from '@tunnel/testkit';
import { deadPort, exchange, startTunnel } from './helpers.js';

const dir = tempDir();
let pki: Pki;
let echo: EchoServer;

test.before(async () => {
  pki = await makePki({ dir: dir.path, leaves: { a: { cn: 'a.example', san: 'DNS:a.example' } } });
  echo = await echoServer();
});

test.after(async () => {
  await echo.close();
  dir.remove();
});

async function sServer(extra: string[]): Promise<{ process: RunningProcess; port: number }> {
  const process = startProcess(
    'openssl',
    ['s_server', '-accept', '127.0.0.1:0', '-cert', pki.cert('server'), '-key', pki.key('server'), '-rev', ...extra],
    {},
  );
  const match = await process.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/);
  return { process, port: Number(match[1]) };
}

test(
  'client mode reaches openssl s_server, sends the connect host name as SNI, and carries data both ways',
  timed(async () => {
    // s_server switches to the `a.example` certificate only when the ClientHello names `localhost`.
    const server = await sServer(['-servername', 'localhost', '-cert2', pki.cert('a'), '-key2', pki.key('a')]);
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'to-s_server',
        mode: 'client',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: 'localhost', port: server.port }],
      },
    ]);
    try {
      const plain = await connectTcp(port());
      plain.on('error', () => {});
      plain.write('hello\n');
      const [chunk] = (await once(plain, 'data')) as [Buffer];
      assert.is(chunk.toString().trim(), 'olleh');
      await logger.waitFor(/Peer certificate: \/CN=a\.example/);
      plain.destroy();
    } finally {
      await tunnel.close({ graceful: false });
      await server.process.stop();
    }
  }, 10_000),
);

test(
  'client mode presents its certificate to a server that requires one, and sni = "" sends no server name',
  timed(async () => {
    const server = await sServer([
      '-Verify',
      '1',
      '-CAfile',
      pki.ca,
      '-verify_return_error',
      '-servername',
      'localhost',
      '-cert2',
      pki.cert('a'),
      '-key2',
      pki.key('a'),
    ]);
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'with-cert',
        mode: 'client',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: 'localhost', port: server.port }],
        cert: readFileSync(pki.cert('client')),
        key: readFileSync(pki.key('client')),
        sni: '',
      },
    ]);
    try {
      const plain = await connectTcp(port());
      plain.on('error', () => {});
      plain.write('abc\n');
      const [chunk] = (await once(plain, 'data')) as [Buffer];
      assert.is(chunk.toString().trim(), 'cba');
      assert.match(server.process.output(), /depth=0 CN ?= ?client/);
      await logger.waitFor(/Peer certificate: \/CN=localhost/);
      plain.destroy();
    } finally {
      await tunnel.close({ graceful: false });
      await server.process.stop();
    }
  }, 10_000),
);

async function stunnel(config: string): Promise<RunningProcess> {
  const file = join(dir.path, `stunnel-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, `foreground = yes\npid =\nsyslog = no\ndebug = 6\n${config}`);
  const process = startProcess('/usr/bin/stunnel4', [file]);
  await process.waitFor(/Configuration successful/);
  return process;
}

test(
  'client mode carries 10 MB both ways through Debian stunnel4 in server mode',
  timed(async () => {
    const stunnelPort = await deadPort();
    const peer = await stunnel(
      `[srv]\naccept = 127.0.0.1:${stunnelPort}\nconnect = 127.0.0.1:${echo.port}\ncert = ${pki.combined('server')}\n`,
    );
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'to-stunnel4',
        mode: 'client',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: stunnelPort }],
      },
    ]);
    try {
      const payload = randomPayload(10 * 1024 * 1024);
      const back = await exchange(await connectTcp(port()), payload);
      assert.is(sha256(back), sha256(payload));
      await logger.waitFor(/LOG6\[\d+\]: TLS connected: new session negotiated/);
      await logger.waitFor(/Connection closed: 10485760 byte\(s\) sent to TLS, 10485760 byte\(s\) sent to socket/);
      await peer.waitFor(/Connection closed: 10485760 byte\(s\) sent to TLS, 10485760 byte\(s\) sent to socket/);
    } finally {
      await tunnel.close({ graceful: false });
      await peer.stop();
    }
  }, 30_000),
);

test(
  'server mode carries 10 MB both ways behind Debian stunnel4 in client mode',
  timed(async () => {
    const { tunnel, port, logger } = await startTunnel([
      {
        name: 'behind-stunnel4',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: 0 }],
        connect: [{ host: '127.0.0.1', port: echo.port }],
        cert: readFileSync(pki.combined('server')),
      },
    ]);
    const stunnelPort = await deadPort();
    const peer = await stunnel(`[cli]\nclient = yes\naccept = 127.0.0.1:${stunnelPort}\nconnect = 127.0.0.1:${port()}\n`);
    try {
      const payload = randomPayload(10 * 1024 * 1024);
      const back = await exchange(await connectTcp(stunnelPort), payload);
      assert.is(sha256(back), sha256(payload));
      await logger.waitFor(/Connection closed: 10485760 byte\(s\) sent to TLS, 10485760 byte\(s\) sent to socket/);
    } finally {
      await peer.stop();
      await tunnel.close({ graceful: false });
    }
  }, 30_000),
);

test.run();
