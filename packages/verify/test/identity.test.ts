import { readFileSync } from 'node:fs';
import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPeer, createPeerVerifier, loadTrustStore } from '../src/index.js';
import { fixture, present } from './fixture.js';
import { sClientVerdict, verifyingServer } from './harness.js';

// The client certificate carries DNS:client.example, email:client@example.com, IP:127.0.0.2.
const cases: Array<[string, { checkHost?: string[]; checkEmail?: string[]; checkIP?: string[] }, string]> = [
  ['no check accepts', {}, 'ok'],
  ['a matching host', { checkHost: ['client.example'] }, 'ok'],
  ['any of several hosts', { checkHost: ['nope.example', 'client.example'] }, 'ok'],
  ['a host that does not match', { checkHost: ['other.example'] }, 'ERR_TUNNEL_VERIFY_HOST_MISMATCH'],
  ['a matching email', { checkEmail: ['client@example.com'] }, 'ok'],
  ['an email that does not match', { checkEmail: ['root@example.com'] }, 'ERR_TUNNEL_VERIFY_EMAIL_MISMATCH'],
  ['a matching IP', { checkIP: ['127.0.0.2'] }, 'ok'],
  ['any of several IPs', { checkIP: ['10.0.0.1', '127.0.0.2'] }, 'ok'],
  ['an IP that does not match', { checkIP: ['127.0.0.1'] }, 'ERR_TUNNEL_VERIFY_IP_MISMATCH'],
  [
    'every given option must match',
    { checkHost: ['client.example'], checkEmail: ['root@example.com'] },
    'ERR_TUNNEL_VERIFY_EMAIL_MISMATCH',
  ],
  ['all three matching', { checkHost: ['client.example'], checkEmail: ['client@example.com'], checkIP: ['127.0.0.2'] }, 'ok'],
];

for (const [name, policy, expected] of cases) {
  test(
    `checkHost/checkEmail/checkIP: ${name}`,
    timed(async () => {
      const f = await fixture();
      const store = await loadTrustStore({ CAfile: f.caFile });
      const verdict = await checkPeer([f.client.pem, readFileSync(f.inter.cert)], { level: 2, store, ...policy });
      assert.is(verdict.ok ? 'ok' : verdict.code, expected);
    }, 20_000),
  );
}

test(
  'identity checks apply to the verified peer at level 4 too',
  timed(async () => {
    const f = await fixture();
    const store = await loadTrustStore({ CAfile: f.soloFile });
    assert.is((await checkPeer([f.solo.pem], { level: 4, store, checkHost: ['solo.example'] })).ok, true);
    const verdict = await checkPeer([f.solo.pem], { level: 4, store, checkHost: ['client.example'] });
    assert.is(verdict.ok ? 'ok' : verdict.code, 'ERR_TUNNEL_VERIFY_HOST_MISMATCH');
  }, 20_000),
);

test(
  'checkHost over real TLS rejects a client with the wrong name, then accepts the right one',
  timed(async () => {
    const f = await fixture();
    const verifier = await createPeerVerifier({ verify: 2, CAfile: f.caFile, checkHost: ['client.example'] });
    const server = await verifyingServer(verifier, { cert: f.server.cert, key: f.server.key });
    try {
      const wrong = await sClientVerdict(server, present(f, f.server));
      assert.is(wrong.verdict.ok ? 'ok' : wrong.verdict.code, 'ERR_TUNNEL_VERIFY_HOST_MISMATCH');
      assert.match(wrong.output, /NO ERR_TUNNEL_VERIFY_HOST_MISMATCH/);
      const right = await sClientVerdict(server, present(f, f.client));
      assert.is(right.verdict.ok, true);
    } finally {
      await server.close();
    }
  }, 20_000),
);

test(
  'a malformed peer certificate is a CHAIN verdict, not an exception',
  timed(async () => {
    const f = await fixture();
    const store = await loadTrustStore({ CAfile: f.caFile });
    const verdict = await checkPeer([Buffer.from('not a certificate')], { level: 2, store });
    assert.is(verdict.ok ? 'ok' : verdict.code, 'ERR_TUNNEL_VERIFY_CHAIN');
  }, 20_000),
);

test.run();
