/** `tunnel -test FILE` through the real CLI: resolved services on success, every error on failure, nothing started. */
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { freePort, listen, makePki, type Pki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArguments } from '../src/args.js';
import { runTunnel, writeConfig } from './helpers.js';

const dir = tempDir('tunnel-config-test-');
let pki: Pki;

test.before(async () => {
  pki = await makePki({ dir: dir.path, leaves: { other: { cn: 'other.example', days: 3 } } });
});
test.after(() => dir.remove());

test('"tunnel -test FILE" asks for a check of FILE; without FILE the default configuration', () => {
  assert.equal(parseArguments(['-test', 'a.conf'], {}), { kind: 'test', source: { kind: 'file', path: 'a.conf' } });
  assert.equal(parseArguments(['-test'], { TUNNEL_CONF: '/srv/t.conf' }), { kind: 'test', source: { kind: 'file', path: '/srv/t.conf' } });
  assert.throws(() => parseArguments(['-test', 'a.conf', 'b.conf'], {}), /unexpected argument "b.conf"/);
});

test(
  'a valid configuration prints every resolved service and exits 0, binding nothing and writing no pid file',
  timed(async () => {
    // The accept port is taken by us: a check that bound it would fail.
    const holder = net.createServer();
    const port = await listen(holder);
    const pid = join(dir.path, 'tunnel.pid');
    try {
      const file = writeConfig(join(dir.path, 'ok.conf'), [
        `pid = ${pid}`,
        '[web]',
        `accept = 127.0.0.1:${port}`,
        'connect = 127.0.0.1:8080',
        `cert = ${pki.cert('server')}`,
        `key = ${pki.key('server')}`,
        `CAfile = ${pki.ca}`,
        'verify = 2',
        'protocol = proxy',
        '[out]',
        'client = yes',
        'accept = 127.0.0.1:9000',
        'connect = backend.example:443',
        `cert = ${pki.combined('other')}`,
      ]);
      const result = await runTunnel(['-test', file]);
      assert.is(result.code, 0, result.stderr);
      assert.is(result.stderr, '');
      const out = result.stdout;
      assert.match(out, `Configuration ${file} is valid: 2 service(s)`);
      assert.match(out, /\[web\] server mode\n {2}accept {4}127\.0\.0\.1:\d+\n {2}connect {3}127\.0\.0\.1:8080\n {2}protocol {2}proxy\n/);
      assert.match(out, /cert {6}CN=localhost; expires \d{4}-\d\d-\d\dT[\d:.]+Z \((29|30) day\(s\) left\)/);
      assert.match(out, /\[out\] client mode\n {2}accept {4}127\.0\.0\.1:9000\n {2}connect {3}backend\.example:443\n/);
      assert.match(out, /cert {6}CN=other\.example; expires .* \((2|3) day\(s\) left\)/);
      assert.not.ok(existsSync(pid), 'no pid file');
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  }, 20_000),
);

test(
  'a configuration with several broken services prints every error as file:line: option: reason and exits 1',
  timed(async () => {
    const file = writeConfig(join(dir.path, 'broken.conf'), [
      '[mismatch]',
      'accept = 127.0.0.1:0',
      'connect = 127.0.0.1:9',
      `cert = ${pki.cert('server')}`,
      `key = ${pki.key('other')}`,
      '[noca]',
      'accept = 127.0.0.1:0',
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
      `CAfile = ${join(dir.path, 'absent-ca.pem')}`,
      'verify = 2',
      '[plugin]',
      'accept = 127.0.0.1:0',
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
      'protocol = no-such-protocol',
    ]);
    const result = await runTunnel(['-test', file]);
    assert.is(result.code, 1);
    assert.is(result.stdout, '');
    const lines = result.stderr.trim().split('\n');
    assert.ok(
      lines.some((line) => line.startsWith(`${file}:5: key: the private key does not match the certificate CN=localhost`)),
      result.stderr,
    );
    assert.ok(
      lines.some((line) => line.startsWith(`${file}:10: CAfile:`) && line.includes('absent-ca.pem')),
      result.stderr,
    );
    assert.ok(
      lines.some((line) => line.startsWith(`${file}:16: protocol:`)),
      result.stderr,
    );
  }, 20_000),
);

test(
  'syntax errors are all listed too, and a missing file is one clear line',
  timed(async () => {
    const file = writeConfig(join(dir.path, 'syntax.conf'), ['[a]', 'accept = 127.0.0.1:0', 'noSuchOption = 1', 'verify = 9']);
    const result = await runTunnel(['-test', file]);
    assert.is(result.code, 1);
    assert.match(result.stderr, `${file}:3: noSuchOption`);
    assert.match(result.stderr, `${file}:4: verify`);
    const missing = await runTunnel(['-test', join(dir.path, 'nope.conf')]);
    assert.is(missing.code, 1);
    assert.match(missing.stderr, /cannot read the configuration .*nope\.conf/);
  }, 20_000),
);

test(
  '-test is named in -help',
  timed(async () => {
    const result = await runTunnel(['-help']);
    assert.is(result.code, 0);
    assert.match(result.stdout, /-test FILE {2}check FILE without starting/);
  }, 20_000),
);

test(
  'a port conflict is not a configuration error: -test passes while the port is in use, a real start then fails',
  timed(async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const file = writeConfig(join(dir.path, 'busy.conf'), [
        'foreground = yes',
        '[busy]',
        `accept = 127.0.0.1:${port}`,
        'connect = 127.0.0.1:9',
        `cert = ${pki.combined('server')}`,
      ]);
      assert.is((await runTunnel(['-test', file])).code, 0);
      const started = await runTunnel([file]);
      assert.is(started.code, 1);
      assert.match(started.stderr, /ERR_TUNNEL_ADDRESS_IN_USE/);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  }, 20_000),
);

test.run();
