import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPeerVerifier, type PeerVerifierOptions } from '../src/index.js';
import { type Fixture, fixture, present } from './fixture.js';
import { clientVerdict, sServer } from './harness.js';

type ServerCert = 'server' | 'stranger' | 'expired' | 'solo' | 'revoked';

function serverArgs(f: Fixture, which: ServerCert): string[] {
  if (which === 'solo') return ['-cert', f.solo.cert, '-key', f.solo.key];
  if (which === 'stranger') return ['-cert', f.stranger.cert, '-key', f.stranger.key];
  return present(f, f[which]);
}

/** Runs one openssl s_server per server certificate and connects to each in turn with the same verifier. */
async function verdictsFor(options: (f: Fixture) => PeerVerifierOptions, servers: readonly ServerCert[]): Promise<string[]> {
  const f = await fixture();
  const verifier = await createPeerVerifier(options(f));
  const results: string[] = [];
  for (const which of servers) {
    const server = await sServer(serverArgs(f, which));
    try {
      const verdict = await clientVerdict(verifier, server.port);
      results.push(verdict.ok ? 'ok' : verdict.code);
    } finally {
      await server.process.stop();
    }
  }
  return results;
}

test(
  'client mode without verify accepts any server',
  timed(async () => {
    assert.equal(await verdictsFor(() => ({}), ['stranger', 'expired']), ['ok', 'ok']);
  }, 20_000),
);

test(
  'client mode verify = 0 ignores the server certificate',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 0, CAfile: f.caFile }), ['stranger']), ['ok']);
  }, 20_000),
);

test(
  'client mode verify = 1 and 2 verify the server chain, and a good server is accepted after a rejection',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 1, CAfile: f.caFile }), ['stranger', 'server']), ['ERR_TUNNEL_VERIFY_CHAIN', 'ok']);
    assert.equal(await verdictsFor((f) => ({ verify: 2, CAfile: f.caFile }), ['server', 'expired', 'solo', 'server']), [
      'ok',
      'ERR_TUNNEL_VERIFY_CERT_EXPIRED',
      'ERR_TUNNEL_VERIFY_CHAIN',
      'ok',
    ]);
  }, 20_000),
);

test(
  'client mode verify = 3 needs the server certificate installed locally and a verified chain',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 3, CAfile: f.localFile }), ['server']), ['ERR_TUNNEL_VERIFY_NOT_LOCAL']);
    assert.equal(await verdictsFor((f) => ({ verify: 3, CApath: f.caPath, CAfile: f.server.cert }), ['server', 'stranger']), [
      'ok',
      'ERR_TUNNEL_VERIFY_NOT_LOCAL',
    ]);
  }, 20_000),
);

test(
  'client mode verify = 4 pins the server certificate',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 4, CAfile: f.soloFile }), ['solo', 'server']), ['ok', 'ERR_TUNNEL_VERIFY_NOT_LOCAL']);
  }, 20_000),
);

test(
  'client mode checkHost and checkIP apply to the server certificate',
  timed(async () => {
    assert.equal(
      await verdictsFor((f) => ({ verify: 2, CAfile: f.caFile, checkHost: ['localhost'], checkIP: ['127.0.0.1'] }), ['server']),
      ['ok'],
    );
    assert.equal(await verdictsFor((f) => ({ verify: 2, CAfile: f.caFile, checkHost: ['example.org'] }), ['server']), [
      'ERR_TUNNEL_VERIFY_HOST_MISMATCH',
    ]);
  }, 20_000),
);

test.run();
