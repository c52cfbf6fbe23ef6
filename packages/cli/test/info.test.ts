import { optionRegistry } from '@tunnel/config-parser';
import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel } from './helpers.js';

test(
  'tunnel -help lists every option of the registry with a description',
  timed(async () => {
    const result = await runTunnel(['-help']);
    assert.is(result.code, 0);
    for (const spec of optionRegistry) assert.ok(result.stdout.includes(spec.name), `-help misses ${spec.name}`);
    assert.match(result.stdout, /Service-level options:/);
  }, 20_000),
);

test(
  'tunnel -version names Node.js, OpenSSL and the stunnel defaults',
  timed(async () => {
    const result = await runTunnel(['-version']);
    assert.is(result.code, 0);
    assert.match(result.stdout, new RegExp(`Node\\.js ${process.version.replace(/\./g, '\\.')}`));
    assert.match(result.stdout, new RegExp(`OpenSSL ${process.versions.openssl.replace(/\./g, '\\.')}`));
    assert.match(result.stdout, /TIMEOUTbusy\s+= 300/);
    assert.match(result.stdout, /TIMEOUTidle\s+= 43200/);
  }, 20_000),
);

test(
  'tunnel -options lists the OpenSSL options accepted by options =',
  timed(async () => {
    const result = await runTunnel(['-options']);
    assert.is(result.code, 0);
    assert.match(result.stdout, /^options = NO_SSLv3$/m);
    assert.match(result.stdout, /^options = CIPHER_SERVER_PREFERENCE$/m);
  }, 20_000),
);

test(
  'tunnel -sockets prints the socket option table with OS defaults read from real sockets',
  timed(async () => {
    const result = await runTunnel(['-sockets']);
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stdout, /Socket option defaults:/);
    assert.match(result.stdout, /SO_KEEPALIVE\s+\|/);
    assert.match(result.stdout, /TCP_NODELAY\s+\|/);
  }, 20_000),
);

test(
  'a Windows-only flag is refused with the Unix equivalent and status 1',
  timed(async () => {
    const result = await runTunnel(['-reload']);
    assert.is(result.code, 1);
    assert.match(result.stderr, /-reload is a Windows-only stunnel flag.*SIGHUP/);
  }, 20_000),
);

test.run();
