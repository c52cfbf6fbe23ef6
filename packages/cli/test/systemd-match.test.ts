import { join } from 'node:path';
import type { ServiceOptions } from '@tunnel/core';
import { startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inheritedSockets, systemdNotifier, useInheritedSockets } from '../src/systemd.js';

const dir = tempDir();
test.after(() => dir.remove());

const service = (name: string, accept: ServiceOptions['accept']): ServiceOptions => ({ name, mode: 'server', accept, connect: [] });

test('an inherited socket is used by the service whose accept names its address, and only by that one', () => {
  const logged: string[] = [];
  const sockets = [
    { fd: 3, name: 'https', address: { address: '127.0.0.1', port: 8443 } },
    { fd: 4, name: 'any', address: { address: '::', port: 9000 } },
    { fd: 5, name: 'spare', address: { address: '127.0.0.1', port: 7000 } },
  ];
  const services = useInheritedSockets(
    [
      service('web', [{ host: '127.0.0.1', port: 8443 }]),
      service('all', [{ port: 9000 }]),
      service('other', [{ host: '127.0.0.1', port: 8444 }]),
      service('unix', [{ path: '/run/x.sock' }]),
    ],
    sockets,
    (_level, message) => logged.push(message),
  );
  assert.type(services[0]?.hooks?.listen, 'function');
  assert.type(services[1]?.hooks?.listen, 'function');
  assert.is(services[2]?.hooks?.listen, undefined);
  assert.is(services[3]?.hooks?.listen, undefined);
  assert.ok(logged.some((l) => /Service \[web\]: using the socket systemd passed \(fd 3, https\)/.test(l)));
  assert.ok(logged.some((l) => /fd 5 \(spare, 127\.0\.0\.1:7000\) matches no service/.test(l)));
});

test('socket activation variables for another process are ignored and left alone', () => {
  const env = { LISTEN_PID: String(process.pid + 1), LISTEN_FDS: '1' };
  assert.equal(inheritedSockets(env), []);
  assert.is(env.LISTEN_FDS, '1');
  const ours: NodeJS.ProcessEnv = { LISTEN_PID: String(process.pid), LISTEN_FDS: '0' };
  assert.equal(inheritedSockets(ours), []);
  assert.is(ours.LISTEN_PID, undefined, 'consumed');
});

test('without NOTIFY_SOCKET the notifier does nothing', () => {
  const notifier = systemdNotifier(() => assert.unreachable('nothing to say'), {});
  assert.is(notifier.active, false);
  notifier.ready('x');
  notifier.reloading();
  notifier.stopping();
  notifier.close();
});

test(
  'a notification socket that went away is reported once, not per message',
  timed(async () => {
    const said: string[] = [];
    const notifier = systemdNotifier((_level, message) => said.push(message), { NOTIFY_SOCKET: join(dir.path, 'gone.sock') });
    notifier.ready();
    notifier.stopping();
    notifier.close();
    assert.is(said.length, 1);
    assert.match(said[0] ?? '', /systemd notification to .*gone\.sock failed: .*ENOENT/);
  }),
);

test(
  'the watchdog pings at half of WATCHDOG_USEC',
  timed(async () => {
    const path = join(dir.path, 'watchdog.sock');
    const receiver = startProcess('socat', ['-u', `UNIX-RECV:${path}`, 'STDOUT']);
    try {
      const { existsSync } = await import('node:fs');
      for (let i = 0; i < 100 && !existsSync(path); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const notifier = systemdNotifier(() => {}, { NOTIFY_SOCKET: path, WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid) });
      await receiver.waitFor(/(WATCHDOG=1){3}/, 3000);
      notifier.close();
    } finally {
      await receiver.stop();
    }
  }),
);

test.run();
