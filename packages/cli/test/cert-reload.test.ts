/**
 * certReload through the real tunnel CLI: the certificate file is replaced while a connection is open; new
 * connections (openssl s_client) see the new subject, the open one keeps working; a broken file is logged and
 * the running certificate keeps serving.
 */
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { echoServer, freePort, makePki, type Pki, run, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

const dir = tempDir('tunnel-cert-reload-');
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path, leaves: { renewed: { cn: 'renewed.example' } } });
});
test.after(() => dir.remove());

/** Replaces a file the way deployment tools do: write aside, then rename over it. */
function replace(path: string, content: string | Buffer): void {
  writeFileSync(`${path}.new`, content);
  renameSync(`${path}.new`, path);
}

/** The subject line `openssl s_client` prints for the server certificate. */
async function servedSubject(port: number): Promise<string> {
  const output = await run('sh', ['-c', `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>&1`]);
  return /^subject=(.*)$/m.exec(output)?.[1]?.trim() ?? `no subject in:\n${output}`;
}

async function roundTrip(socket: tls.TLSSocket, text: string): Promise<string> {
  socket.write(text);
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return chunk.toString();
}

test(
  'certReload = 1: a replaced certificate serves new connections while an open one keeps working; a broken file changes nothing',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const live = join(dir.path, 'live.pem');
    copyFileSync(pki.combined('server'), live);
    const file = writeConfig(join(dir.path, 'reload.conf'), [
      'foreground = yes',
      'syslog = no',
      '[web]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${live}`,
      'certReload = 1',
    ]);
    const tunnel = await startTunnel(file);
    const open = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    open.on('error', () => {});
    try {
      await once(open, 'secureConnect');
      assert.is(await roundTrip(open, 'before'), 'before');
      assert.is(await servedSubject(port), 'CN = localhost');

      replace(live, readFileSync(pki.combined('renewed')));
      await tunnel.waitFor(/certReload: .*live\.pem changed; service\(s\) \[web\] now use the new files/, 10_000);
      assert.is(await servedSubject(port), 'CN = renewed.example');
      assert.is(await roundTrip(open, 'during'), 'during', 'the connection opened before the change still works');

      replace(live, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
      await tunnel.waitFor(
        /certReload: .*live\.pem changed but cannot be used; service\(s\) \[web\] keep the running certificates: /,
        10_000,
      );
      assert.is(await servedSubject(port), 'CN = renewed.example', 'handshakes still succeed with the running certificate');
      assert.is(await roundTrip(open, 'after'), 'after');
    } finally {
      open.destroy();
      await tunnel.stop();
      await echo.close();
    }
  }, 60_000),
);

test(
  'a key that does not match the new certificate is refused with the reason; fixing the key puts both in force',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const cert = join(dir.path, 'pair.pem');
    const key = join(dir.path, 'pair.key');
    copyFileSync(pki.cert('server'), cert);
    copyFileSync(pki.key('server'), key);
    const file = writeConfig(join(dir.path, 'pair.conf'), [
      'foreground = yes',
      'syslog = no',
      'certReload = 1',
      '[pair]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${cert}`,
      `key = ${key}`,
    ]);
    const tunnel = await startTunnel(file);
    try {
      replace(cert, readFileSync(pki.cert('renewed')));
      await tunnel.waitFor(/keep the running certificates: .*the private key does not match the certificate CN=renewed\.example/, 10_000);
      assert.is(await servedSubject(port), 'CN = localhost');
      replace(key, readFileSync(pki.key('renewed')));
      await tunnel.waitFor(/pair\.key changed; service\(s\) \[pair\] now use the new files/, 10_000);
      assert.is(await servedSubject(port), 'CN = renewed.example');
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 60_000),
);

test(
  'a replaced CAfile changes which client certificates verify = 2 accepts',
  timed(async () => {
    mkdirSync(join(dir.path, 'other-ca'));
    const other = await makePki({ dir: join(dir.path, 'other-ca') });
    const echo = await echoServer();
    const port = await freePort();
    const ca = join(dir.path, 'clients-ca.pem');
    copyFileSync(pki.ca, ca);
    const file = writeConfig(join(dir.path, 'ca.conf'), [
      'foreground = yes',
      'syslog = no',
      '[ca]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
      `CAfile = ${ca}`,
      'verify = 2',
      'certReload = 1',
    ]);
    const tunnel = await startTunnel(file);
    const withClient = async (p: Pki) => {
      const socket = tls.connect({
        port,
        host: '127.0.0.1',
        rejectUnauthorized: false,
        cert: readFileSync(p.cert('client')),
        key: readFileSync(p.key('client')),
      });
      socket.on('error', () => {});
      try {
        await once(socket, 'secureConnect');
        socket.write('ping');
        const reply = await Promise.race([
          once(socket, 'data').then(([chunk]) => String(chunk)),
          once(socket, 'close').then(() => 'closed'),
        ]);
        return reply === 'ping' ? 'served' : 'refused';
      } catch {
        return 'refused';
      } finally {
        socket.destroy();
      }
    };
    try {
      assert.equal([await withClient(pki), await withClient(other)], ['served', 'refused']);
      replace(ca, readFileSync(other.ca));
      await tunnel.waitFor(/clients-ca\.pem changed; service\(s\) \[ca\] now use the new files/, 10_000);
      assert.equal([await withClient(pki), await withClient(other)], ['refused', 'served']);
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 60_000),
);

test.run();
