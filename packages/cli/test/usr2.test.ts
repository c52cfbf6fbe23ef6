import { once } from 'node:events';
import { join } from 'node:path';
import { connectTcp, echoServer, freePort, makePki, type Pki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';
import { tlsOpen } from './ops-helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

test(
  'SIGUSR2 lists the connections in flight as stunnel4 frames them, each with id, service, peer, age and bytes',
  timed(async () => {
    const echo = await echoServer();
    const [tlsPort, plainPort] = [await freePort(), await freePort()];
    const file = writeConfig(join(dir.path, 'usr2.conf'), [
      'foreground = yes',
      'syslog = no',
      '[web]',
      `accept = 127.0.0.1:${tlsPort}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
      '[out]',
      'client = yes',
      `accept = 127.0.0.1:${plainPort}`,
      `connect = 127.0.0.1:${tlsPort}`,
    ]);
    const tunnel = await startTunnel(file);
    try {
      tunnel.child.kill('SIGUSR2');
      await tunnel.waitFor(/Listed 0 active connection\(s\)/, 5000);

      const direct = await tlsOpen(tlsPort);
      direct.write('12345');
      await once(direct, 'data');
      const plain = await connectTcp(plainPort);
      plain.write('abc');
      await once(plain, 'data');
      tunnel.child.kill('SIGUSR2');
      // Three: the direct TLS client, the client-mode service's plain client, and its TLS connection to [web].
      await tunnel.waitFor(/Listed 3 active connection\(s\)/, 5000);
      const lines = tunnel
        .output()
        .split('\n')
        .filter((l) => /Active connection \S+: Service \[/.test(l));
      assert.is(lines.length, 3);
      const pattern =
        /Active connection (\S+): Service \[(web|out)\], peer 127\.0\.0\.1:\d+, age \d+ s, (\d+) byte\(s\) in, (\d+) byte\(s\) out$/;
      const parsed = lines.map((l) => pattern.exec(l));
      for (const match of parsed) assert.ok(match, 'line shape');
      const out = parsed.find((m) => m?.[2] === 'out');
      assert.is(out?.[3], '3', 'the plain client sent 3 bytes');
      assert.is(out?.[4], '3', 'and got 3 back');
      assert.is(parsed.filter((m) => m?.[2] === 'web').length, 2);
      direct.destroy();
      plain.destroy();
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 30_000),
);

test.run();
