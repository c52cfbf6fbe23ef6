import { chmodSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { echoServer, makePki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

const isRoot = process.getuid?.() === 0;

function statusField(pid: number, field: string): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${field}:`));
  return (line ?? '').slice(field.length + 1).trim();
}

test(
  'global chroot, setgid and setuid are in force after binding, and traffic still flows',
  timed(async () => {
    if (!isRoot) {
      console.log('skipped: privilege changes need root');
      return;
    }
    const dir = tempDir();
    const jail = tempDir('tunnel-jail-');
    chmodSync(jail.path, 0o755);
    const echo = await echoServer();
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    try {
      const pki = await makePki({ dir: dir.path });
      const file = writeConfig(join(dir.path, 'priv.conf'), [
        'foreground = yes',
        'syslog = no',
        `chroot = ${jail.path}`,
        'setuid = nobody',
        'setgid = nogroup',
        '[srv]',
        `accept = 127.0.0.1:${port}`,
        `connect = 127.0.0.1:${echo.port}`,
        `cert = ${pki.combined('server')}`,
      ]);
      const tunnel = await startTunnel(file);
      try {
        const pid = tunnel.child.pid ?? 0;
        const nobody = statusField(pid, 'Uid').split(/\s+/);
        assert.equal(nobody, ['65534', '65534', '65534', '65534'], 'real, effective, saved and fs uid are nobody');
        assert.is(statusField(pid, 'Gid').split(/\s+/)[0], '65534');
        assert.is(statusField(pid, 'Groups'), '65534', 'supplementary groups reduced to the target group');
        assert.is(readlinkSync(`/proc/${pid}/root`), jail.path);
        const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: readFileSync(pki.ca) });
        await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
        socket.write('jailed');
        assert.is((await new Promise<Buffer>((resolve) => socket.once('data', resolve))).toString(), 'jailed');
        socket.destroy();
      } finally {
        await tunnel.stop();
      }
    } finally {
      await echo.close();
      dir.remove();
      jail.remove();
    }
  }, 30_000),
);

test.run();
