import { join } from 'node:path';
import { tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, writeConfig } from './helpers.js';

test(
  'a broken configuration prints every problem as file:line: option: reason and exits 1',
  timed(async () => {
    const dir = tempDir();
    try {
      const file = writeConfig(join(dir.path, 'broken.conf'), [
        'foreground = yes',
        '[one]',
        'accept = 127.0.0.1:notaport',
        'connect = 127.0.0.1:80',
        'verify = 9',
        'nonsense = 1',
      ]);
      const result = await runTunnel([file]);
      assert.is(result.code, 1);
      assert.match(result.stderr, new RegExp(`${file}:3: accept: `));
      assert.match(result.stderr, new RegExp(`${file}:5: verify: `));
      assert.match(result.stderr, new RegExp(`${file}:6: nonsense: `));
      assert.not.match(result.stderr, /\n\s+at /, 'no stack trace for a user error');
    } finally {
      dir.remove();
    }
  }, 20_000),
);

test(
  'an option this build refuses is reported at its line with the reason',
  timed(async () => {
    const dir = tempDir();
    try {
      const file = writeConfig(join(dir.path, 'refused.conf'), [
        'foreground = yes',
        '[one]',
        'client = yes',
        'accept = 127.0.0.1:0',
        'connect = 127.0.0.1:9',
        'engineId = pkcs11',
      ]);
      const result = await runTunnel([file]);
      assert.is(result.code, 1);
      assert.match(result.stderr, new RegExp(`${file}:6: engineId: OpenSSL engines are not reachable`));
    } finally {
      dir.remove();
    }
  }, 20_000),
);

test(
  'a certificate file that cannot be read names the file and line of cert',
  timed(async () => {
    const dir = tempDir();
    try {
      const file = writeConfig(join(dir.path, 'nocert.conf'), [
        'foreground = yes',
        '[srv]',
        'accept = 127.0.0.1:0',
        'connect = 127.0.0.1:9',
        `cert = ${dir.path}/missing.pem`,
      ]);
      const result = await runTunnel([file]);
      assert.is(result.code, 1);
      assert.match(result.stderr, new RegExp(`${file}:5: cert: cannot read ${dir.path}/missing.pem`));
    } finally {
      dir.remove();
    }
  }, 20_000),
);

test(
  'a missing configuration file is an error naming it',
  timed(async () => {
    const result = await runTunnel(['/nonexistent/tunnel.conf']);
    assert.is(result.code, 1);
    assert.match(result.stderr, /cannot read the configuration \/nonexistent\/tunnel.conf/);
  }, 20_000),
);

test(
  '-fd N reads the configuration from a pipe',
  timed(async () => {
    const result = await runTunnel(['-fd', '0'], { input: '[x]\naccept = 127.0.0.1:0\nbogus = 1\n' });
    assert.is(result.code, 1);
    assert.match(result.stderr, /fd 0:3: bogus: /);
  }, 20_000),
);

test.run();
