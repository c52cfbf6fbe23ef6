import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_ARGS, writeConfig } from './helpers.js';

test(
  'syslog = yes sends stunnel-style lines with the debug facility and the service ident to a real syslog socket',
  timed(async () => {
    const dir = tempDir();
    const socket = join(dir.path, 'log.sock');
    // socat stands in for the syslog daemon: a Unix datagram socket that prints what it receives.
    const receiver = startProcess('socat', ['-u', `UNIX-RECV:${socket}`, '-']);
    try {
      for (let i = 0; i < 50 && !existsSync(socket); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const file = writeConfig(join(dir.path, 'syslog.conf'), [
        'foreground = quiet',
        'syslog = yes',
        'service = tunnel-test',
        'debug = local3.notice',
        '[svc]',
        'client = yes',
        'accept = 127.0.0.1:0',
        'connect = 127.0.0.1:9',
        'verify = 0',
      ]);
      const tunnel = startProcess(process.execPath, [...NODE_ARGS, file], { env: { ...process.env, TUNNEL_SYSLOG_SOCKET: socket } });
      try {
        // local3 = 19, notice = 5: PRI 19 * 8 + 5 = 157; the ident carries the pid as stunnel's does.
        const [line] = await receiver.waitFor(/<157>.*tunnel-test\[\d+\]: LOG5\[ui\]: Configuration successful[^\n]*/, 15_000);
        assert.match(line, new RegExp(`tunnel-test\\[${tunnel.child.pid}\\]`));
      } finally {
        await tunnel.stop();
      }
    } finally {
      await receiver.stop();
      dir.remove();
    }
  }, 30_000),
);

test.run();
