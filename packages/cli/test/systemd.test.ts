import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { echoServer, freePort, makePki, type Pki, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_ARGS, writeConfig } from './helpers.js';
import { echoThrough } from './ops-helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((resolve) => setTimeout(resolve, 20));
}

test(
  'systemd-socket-activate hands tunnel a socket it serves on; READY=1, WATCHDOG=1, RELOADING=1 and STOPPING=1 reach NOTIFY_SOCKET',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const notify = join(dir.path, 'notify.sock');
    // The test's own NOTIFY_SOCKET: socat prints every datagram it receives.
    const receiver = startProcess('socat', ['-u', `UNIX-RECV:${notify}`, 'STDOUT']);
    await waitForFile(notify);
    const file = writeConfig(join(dir.path, 'activated.conf'), [
      'foreground = yes',
      'syslog = no',
      '[web]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
    ]);
    // systemd-socket-activate binds the port itself and starts tunnel (on the first connection) with LISTEN_FDS=1.
    const activator = startProcess('systemd-socket-activate', [
      '-l',
      `127.0.0.1:${port}`,
      '--fdname=web',
      '-E',
      `NOTIFY_SOCKET=${notify}`,
      '-E',
      'WATCHDOG_USEC=400000',
      '-E',
      `PATH=${process.env.PATH ?? ''}`,
      process.execPath,
      ...NODE_ARGS,
      file,
    ]);
    try {
      await activator.waitFor(/Listening on 127\.0\.0\.1:\d+/, 10_000);
      // The first connection waits in the inherited socket's backlog while tunnel starts.
      await echoThrough(port, 1000);
      await activator.waitFor(/Service \[web\]: using the socket systemd passed \(fd 3, web\) for 127\.0\.0\.1:\d+/, 15_000);
      assert.not.match(activator.output(), /EADDRINUSE|ADDRESS_IN_USE/);
      await receiver.waitFor(/READY=1\nMAINPID=\d+\nSTATUS=1 service\(s\) listening/, 10_000);
      await receiver.waitFor(/WATCHDOG=1/, 5000);
      await echoThrough(port, 2000);

      activator.child.kill('SIGHUP');
      await activator.waitFor(/Configuration reloaded/, 10_000);
      await receiver.waitFor(/RELOADING=1\nMONOTONIC_USEC=\d+[\s\S]*READY=1/, 5000);
      await echoThrough(port, 10);

      activator.child.kill('SIGTERM');
      assert.is(await activator.exited(), 0);
      await receiver.waitFor(/STOPPING=1/, 5000);
    } finally {
      await activator.stop();
      await receiver.stop();
      await echo.close();
    }
  }, 45_000),
);

test.run();
