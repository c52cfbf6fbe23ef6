import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { echoServer, makePki, type Pki, tempDir, timed, freePort } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

/** Resolves 'echoed' when the round trip works, or the error text when tunnel refuses the client. */
async function tryFrom(localAddress: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    // localAddress is passed on to net.connect (Node's tls types omit it).
    const options = { port, host: '127.0.0.1', localAddress, servername: 'localhost', ca: readFileSync(pki.ca) } as tls.ConnectionOptions;
    const socket = tls.connect(options);
    socket.on('secureConnect', () => socket.write('ping'));
    socket.on('data', (chunk) => {
      resolve(chunk.toString() === 'ping' ? 'echoed' : chunk.toString());
      socket.destroy();
    });
    socket.on('error', (error) => resolve(error.message));
    socket.on('close', () => resolve('closed'));
  });
}

test(
  'libwrap = yes: hosts.allow admits 127.0.0.2, hosts.deny refuses everyone else, and the log names the rule',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const allow = join(dir.path, 'hosts.allow');
    const deny = join(dir.path, 'hosts.deny');
    writeFileSync(allow, 'wrapped: 127.0.0.2\n');
    writeFileSync(deny, 'ALL: ALL\n');
    const file = writeConfig(join(dir.path, 'libwrap.conf'), [
      'foreground = yes',
      'syslog = no',
      '[wrapped]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
      'libwrap = yes',
      'socket = l:SO_KEEPALIVE=yes',
      'socket = r:SO_KEEPALIVE=yes',
    ]);
    const tunnel = await startTunnel(file, { TUNNEL_HOSTS_ALLOW: allow, TUNNEL_HOSTS_DENY: deny });
    try {
      assert.is(await tryFrom('127.0.0.2', port), 'echoed');
      assert.is.not(await tryFrom('127.0.0.1', port), 'echoed');
      await tunnel.waitFor(new RegExp(`libwrap: access denied by ${deny.replace(/[.]/g, '\\.')}:1`), 5000);
      assert.is(await tryFrom('127.0.0.2', port), 'echoed', 'the service keeps serving after a refusal');
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 30_000),
);

test.run();
