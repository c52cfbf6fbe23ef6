import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { echoServer, makePki, type Pki, randomPayload, readAll, sha256, startProcess, tempDir, timed, freePort } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

test(
  'server mode: openssl s_client talks TLS to tunnel, which relays to a plain echo backend',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const conf = writeConfig(join(dir.path, 'server.conf'), [
      'foreground = yes',
      'syslog = no',
      `output = ${join(dir.path, 'server.log')}`,
      '[echo]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.cert('server')}`,
      `key = ${pki.key('server')}`,
    ]);
    const tunnel = await startTunnel(conf);
    const client = startProcess('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${port}`,
      '-servername',
      'localhost',
      '-CAfile',
      pki.ca,
      '-verify_return_error',
      '-ign_eof',
    ]);
    try {
      client.child.stdin?.write('hello through tunnel\n');
      await client.waitFor(/hello through tunnel[\s\S]*hello through tunnel|Verify return code: 0[\s\S]*hello through tunnel/, 10_000);
      assert.match(client.output(), /Verify return code: 0 \(ok\)/);
    } finally {
      await client.stop();
      await tunnel.stop();
      await echo.close();
    }
    assert.match(
      readFileSync(join(dir.path, 'server.log'), 'utf8'),
      /LOG5\[[^\]]+\]: Service \[echo\] accepted connection from 127\.0\.0\.1/,
    );
  }, 30_000),
);

test(
  'client mode against Debian stunnel4 in server mode carries 10 MB both ways intact',
  timed(async () => {
    const echo = await echoServer();
    const [stunnelPort, tunnelPort] = [await freePort(), await freePort()];
    const stunnelConf = writeConfig(join(dir.path, 'stunnel4.conf'), [
      'foreground = yes',
      'pid =',
      '[srv]',
      `accept = 127.0.0.1:${stunnelPort}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.cert('server')}`,
      `key = ${pki.key('server')}`,
    ]);
    const stunnel = startProcess('stunnel4', [stunnelConf]);
    await stunnel.waitFor(/Configuration successful/, 10_000);
    const conf = writeConfig(join(dir.path, 'client.conf'), [
      'foreground = yes',
      'syslog = no',
      '[cli]',
      'client = yes',
      `accept = 127.0.0.1:${tunnelPort}`,
      `connect = 127.0.0.1:${stunnelPort}`,
      'verify = 2',
      `CAfile = ${pki.ca}`,
      'checkHost = localhost',
    ]);
    const tunnel = await startTunnel(conf);
    try {
      const { connect } = await import('node:net');
      const socket = connect({ port: tunnelPort, host: '127.0.0.1', allowHalfOpen: true });
      const payload = randomPayload(10 * 1024 * 1024);
      // The client closes only once everything came back: stunnel4 stops relaying its backend's reply when the TLS
      // peer's close_notify arrives (its half-close is not TLS 1.3's), so an early FIN would race the echo.
      const chunks: Buffer[] = [];
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= payload.length) socket.end();
      });
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(payload);
      await closed;
      const echoed = Buffer.concat(chunks);
      assert.is(echoed.length, payload.length);
      assert.is(sha256(echoed), sha256(payload));
    } catch (error) {
      console.log(tunnel.output(), stunnel.output());
      throw error;
    } finally {
      await tunnel.stop();
      await stunnel.stop();
      await echo.close();
    }
  }, 60_000),
);

test(
  'server mode behind Debian stunnel4 in client mode',
  timed(async () => {
    const echo = await echoServer();
    const [stunnelPort, tunnelPort] = [await freePort(), await freePort()];
    const conf = writeConfig(join(dir.path, 'behind.conf'), [
      'foreground = yes',
      'syslog = no',
      '[srv]',
      `accept = 127.0.0.1:${tunnelPort}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
    ]);
    const tunnel = await startTunnel(conf);
    const stunnelConf = writeConfig(join(dir.path, 'stunnel4-client.conf'), [
      'foreground = yes',
      'pid =',
      '[cli]',
      'client = yes',
      `accept = 127.0.0.1:${stunnelPort}`,
      `connect = 127.0.0.1:${tunnelPort}`,
      'verifyChain = yes',
      `CAfile = ${pki.ca}`,
      'checkHost = localhost',
    ]);
    const stunnel = startProcess('stunnel4', [stunnelConf]);
    await stunnel.waitFor(/Configuration successful/, 10_000);
    try {
      const { connect } = await import('node:net');
      const socket = connect({ port: stunnelPort, host: '127.0.0.1', allowHalfOpen: true });
      socket.end('ping via stunnel4');
      assert.is((await readAll(socket)).toString(), 'ping via stunnel4');
    } finally {
      await stunnel.stop();
      await tunnel.stop();
      await echo.close();
    }
  }, 30_000),
);

test(
  'pid file is written once listening and removed when SIGTERM ends tunnel with status 0',
  timed(async () => {
    const pid = join(dir.path, 'tunnel.pid');
    const port = await freePort();
    const conf = writeConfig(join(dir.path, 'pid.conf'), [
      'foreground = yes',
      'syslog = no',
      `pid = ${pid}`,
      '[srv]',
      `accept = 127.0.0.1:${port}`,
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
    ]);
    const tunnel = await startTunnel(conf);
    assert.is(readFileSync(pid, 'utf8').trim(), String(tunnel.child.pid));
    tunnel.child.kill('SIGTERM');
    const status = await tunnel.exited();
    assert.is(status, 0, tunnel.output());
    assert.not.ok(existsSync(pid));
  }, 30_000),
);

test(
  'foreground = no detaches: the command returns 0 once the background process listens',
  timed(async () => {
    const pid = join(dir.path, 'daemon.pid');
    const port = await freePort();
    const conf = writeConfig(join(dir.path, 'daemon.conf'), [
      'syslog = no',
      `pid = ${pid}`,
      '[srv]',
      `accept = 127.0.0.1:${port}`,
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
    ]);
    const result = await runTunnel([conf]);
    assert.is(result.code, 0, result.stderr);
    const daemonPid = Number(readFileSync(pid, 'utf8'));
    try {
      const socket = tls.connect({ port, host: '127.0.0.1', ca: readFileSync(pki.ca), servername: 'localhost' });
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      socket.destroy();
    } finally {
      process.kill(daemonPid, 'SIGTERM');
    }
  }, 30_000),
);

test(
  'foreground = no with a port in use: the command fails with the background process error',
  timed(async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const conf = writeConfig(join(dir.path, 'busy.conf'), [
      'syslog = no',
      '[busy]',
      `accept = 127.0.0.1:${port}`,
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
    ]);
    try {
      const result = await runTunnel([conf]);
      assert.is(result.code, 1);
      assert.match(result.stderr, /busy/);
    } finally {
      blocker.close();
    }
  }, 30_000),
);

test.run();
