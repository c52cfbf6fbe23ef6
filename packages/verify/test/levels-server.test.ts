import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPeerVerifier, type PeerVerifierOptions } from '../src/index.js';
import { type Fixture, fixture, present } from './fixture.js';
import { sClientVerdict, verifyingServer } from './harness.js';

type Peer = 'client' | 'stranger' | 'expired' | 'future' | 'solo' | 'none' | 'server';

function peerArgs(f: Fixture, peer: Peer): string[] {
  if (peer === 'none') return [];
  if (peer === 'solo') return ['-cert', f.solo.cert, '-key', f.solo.key];
  if (peer === 'stranger') return ['-cert', f.stranger.cert, '-key', f.stranger.key];
  return present(f, f[peer]);
}

async function verdictsFor(options: (f: Fixture) => PeerVerifierOptions, peers: readonly Peer[]): Promise<Array<string>> {
  const f = await fixture();
  const verifier = await createPeerVerifier(options(f));
  const server = await verifyingServer(verifier, { cert: f.server.cert, key: f.server.key });
  try {
    const results: string[] = [];
    for (const peer of peers) {
      const { verdict } = await sClientVerdict(server, peerArgs(f, peer));
      results.push(verdict.ok ? 'ok' : verdict.code);
    }
    return results;
  } finally {
    await server.close();
  }
}

test(
  'server mode without verify accepts every client, with or without a certificate',
  timed(async () => {
    assert.equal(await verdictsFor(() => ({}), ['none', 'stranger']), ['ok', 'ok']);
  }, 20_000),
);

test(
  'verify = 0 requests the client certificate and ignores it',
  timed(async () => {
    const f = await fixture();
    const verifier = await createPeerVerifier({ verify: 0, CAfile: f.caFile });
    assert.is(verifier.tlsOptions.requestCert, true);
    assert.equal(await verdictsFor((fx) => ({ verify: 0, CAfile: fx.caFile }), ['stranger', 'none', 'client']), ['ok', 'ok', 'ok']);
  }, 20_000),
);

test(
  'verify = 1 accepts a client without certificate but rejects a bad one, then still accepts a good one',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 1, CAfile: f.caFile }), ['none', 'stranger', 'client', 'expired', 'client']), [
      'ok',
      'ERR_TUNNEL_VERIFY_CHAIN',
      'ok',
      'ERR_TUNNEL_VERIFY_CERT_EXPIRED',
      'ok',
    ]);
  }, 20_000),
);

test(
  'verify = 2 requires a certificate that chains to CAfile through the intermediate the peer sends',
  timed(async () => {
    assert.equal(
      await verdictsFor((f) => ({ verify: 2, CAfile: f.caFile }), ['none', 'client', 'stranger', 'expired', 'future', 'solo', 'client']),
      [
        'ERR_TUNNEL_VERIFY_NO_PEER_CERT',
        'ok',
        'ERR_TUNNEL_VERIFY_CHAIN',
        'ERR_TUNNEL_VERIFY_CERT_EXPIRED',
        'ERR_TUNNEL_VERIFY_CERT_NOT_YET_VALID',
        'ERR_TUNNEL_VERIFY_CHAIN',
        'ok',
      ],
    );
  }, 20_000),
);

test(
  'verify = 2 with CApath (an openssl rehash directory) behaves like CAfile',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 2, CApath: f.caPath }), ['client', 'stranger']), ['ok', 'ERR_TUNNEL_VERIFY_CHAIN']);
  }, 20_000),
);

test(
  'verify = 3 accepts only a locally installed certificate whose chain also verifies',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 3, CAfile: f.localFile }), ['client', 'server', 'none', 'client']), [
      'ok',
      'ERR_TUNNEL_VERIFY_NOT_LOCAL',
      'ERR_TUNNEL_VERIFY_NO_PEER_CERT',
      'ok',
    ]);
  }, 20_000),
);

test(
  'verify = 3 rejects a locally installed certificate whose chain does not verify',
  timed(async () => {
    // The client certificate is installed, but its root is not: the chain fails.
    assert.equal(await verdictsFor((f) => ({ verify: 3, CAfile: f.client.cert }), ['client']), ['ERR_TUNNEL_VERIFY_CHAIN']);
  }, 20_000),
);

test(
  'verify = 4 ignores the chain and accepts exactly the locally installed certificate',
  timed(async () => {
    assert.equal(await verdictsFor((f) => ({ verify: 4, CAfile: f.soloFile }), ['solo', 'client', 'none', 'solo']), [
      'ok',
      'ERR_TUNNEL_VERIFY_NOT_LOCAL',
      'ERR_TUNNEL_VERIFY_NO_PEER_CERT',
      'ok',
    ]);
    // The client certificate alone is enough at level 4 although its CA is not installed.
    assert.equal(await verdictsFor((f) => ({ verify: 4, CAfile: f.client.cert }), ['client', 'stranger']), [
      'ok',
      'ERR_TUNNEL_VERIFY_NOT_LOCAL',
    ]);
  }, 20_000),
);

test(
  'the verdict names the subject of the accepted peer',
  timed(async () => {
    const f = await fixture();
    const verifier = await createPeerVerifier({ verify: 2, CAfile: f.caFile });
    const server = await verifyingServer(verifier, { cert: f.server.cert, key: f.server.key });
    try {
      const { verdict } = await sClientVerdict(server, present(f, f.client));
      assert.equal(verdict, { ok: true, subject: 'CN=client' });
    } finally {
      await server.close();
    }
  }, 20_000),
);

test.run();
