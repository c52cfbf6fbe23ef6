import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoServer, makePki, type Pki, startProcess, tempDir, timed, freePort } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_ARGS, writeConfig } from './helpers.js';

const dir = tempDir();
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
});
test.after(() => dir.remove());

test(
  'inetd mode: socat hands each accepted connection to tunnel on stdin/stdout, and TLS flows to the backend',
  timed(async () => {
    const echo = await echoServer();
    const conf = writeConfig(join(dir.path, 'inetd.conf'), [
      'foreground = quiet',
      'syslog = no',
      `output = ${join(dir.path, 'inetd.log')}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
    ]);
    const port = await freePort();
    const command = [process.execPath, ...NODE_ARGS, conf].join(' ');
    const launcher = startProcess('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `EXEC:${command}`]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const round of [1, 2]) {
        const client = startProcess('openssl', [
          's_client',
          '-connect',
          `127.0.0.1:${port}`,
          '-CAfile',
          pki.ca,
          '-verify_return_error',
          '-ign_eof',
        ]);
        try {
          client.child.stdin?.write(`inetd round ${round}\n`);
          await client.waitFor(new RegExp(`Verify return code: 0[\\s\\S]*inetd round ${round}`), 15_000);
        } finally {
          await client.stop();
        }
      }
    } finally {
      await launcher.stop();
      await echo.close();
    }
    // Each connection was served by its own tunnel process, logging to the same file.
    const log = readFileSync(join(dir.path, 'inetd.log'), 'utf8');
    assert.is(log.match(/Service \[inetd\] accepted connection from stdio/g)?.length, 2, log);
  }, 45_000),
);

test.run();
