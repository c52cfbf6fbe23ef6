/**
 * Identity ACLs (allowPeer / denyPeer) end to end: the real tunnel CLI in server mode with verify = 2, real
 * `openssl s_client -cert` clients holding certificates made by the openssl CLI.
 */
import { join } from 'node:path';
import { echoServer, freePort, makePki, type Pki, run, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, startTunnel, writeConfig } from './helpers.js';

const dir = tempDir('tunnel-acl-');
let pki: Pki;
let alicePin = '';

test.before(async () => {
  pki = await makePki({
    dir: dir.path,
    leaves: {
      alice: { cn: 'alice/OU=ops', san: 'DNS:alice.example,URI:spiffe://example.org/alice' },
      bob: { cn: 'bob/OU=dev', san: 'IP:10.1.2.3,email:bob@example.com' },
      mallory: { cn: 'mallory/OU=ops' },
    },
  });
  alicePin = (
    await run('sh', [
      '-c',
      'openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64',
      'sh',
      pki.cert('alice'),
    ])
  ).trim();
});
test.after(() => dir.remove());

/** 'echoed' when s_client with that certificate gets its line echoed back through the tunnel, 'refused' otherwise. */
async function client(port: number, who: string): Promise<'echoed' | 'refused'> {
  const s = startProcess('openssl', [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-quiet',
    '-verify_quiet',
    '-cert',
    pki.cert(who),
    '-key',
    pki.key(who),
  ]);
  try {
    s.child.stdin?.write(`hello from ${who}\n`);
    await s.waitFor(new RegExp(`^hello from ${who}$`, 'm'), 5000);
    return 'echoed';
  } catch {
    return 'refused';
  } finally {
    await s.stop();
  }
}

test(
  'allowPeer = OU:ops and denyPeer = CN:mallory through the CLI: alice is served, bob and mallory refused, each refusal names its rule',
  timed(async () => {
    const echo = await echoServer();
    const port = await freePort();
    const file = writeConfig(join(dir.path, 'acl.conf'), [
      'foreground = yes',
      'syslog = no',
      '[acl]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${echo.port}`,
      `cert = ${pki.combined('server')}`,
      `CAfile = ${pki.ca}`,
      'verify = 2',
      'allowPeer = OU:ops',
      `allowPeer = SPKI:${alicePin}`,
      'denyPeer = CN:mallory',
    ]);
    const tunnel = await startTunnel(file);
    try {
      assert.is(await client(port, 'alice'), 'echoed');
      assert.is(await client(port, 'bob'), 'refused');
      await tunnel.waitFor(/ERR_TUNNEL_VERIFY_ACL_NOT_ALLOWED: no allow rule matched \(allow OU:ops, SPKI:/, 5000);
      assert.is(await client(port, 'mallory'), 'refused');
      await tunnel.waitFor(/ERR_TUNNEL_VERIFY_ACL_DENIED: deny CN:mallory matched/, 5000);
      assert.is(await client(port, 'alice'), 'echoed', 'the service keeps serving after refusals');
    } finally {
      await tunnel.stop();
      await echo.close();
    }
  }, 40_000),
);

test(
  'an ACL on a service without verify is refused at start-up with file:line and the reason',
  timed(async () => {
    const file = writeConfig(join(dir.path, 'acl-noverify.conf'), [
      'foreground = yes',
      'syslog = no',
      '[acl]',
      'accept = 127.0.0.1:0',
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
      'allowPeer = CN:alice',
      'denyPeer = nonsense',
    ]);
    const result = await runTunnel([file]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /acl-noverify\.conf:\d+: allowPeer: allowPeer: needs verify = 2, 3 or 4/);
  }, 20_000),
);

test(
  'a malformed rule is refused at start-up naming the option',
  timed(async () => {
    const file = writeConfig(join(dir.path, 'acl-bad.conf'), [
      'foreground = yes',
      'syslog = no',
      '[acl]',
      'accept = 127.0.0.1:0',
      'connect = 127.0.0.1:9',
      `cert = ${pki.combined('server')}`,
      `CAfile = ${pki.ca}`,
      'verify = 2',
      'denyPeer = SERIAL:42',
    ]);
    const result = await runTunnel([file]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /acl-bad\.conf:9: denyPeer: denyPeer: "SERIAL:42": expected KIND:VALUE/);
  }, 20_000),
);

test.run();
