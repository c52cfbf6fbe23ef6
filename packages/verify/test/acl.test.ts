import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { makePki, type Pki, run, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { certificateIdentity, createPeerVerifier, parseAclRule, type PeerVerifierOptions } from '../src/index.js';
import { sClientVerdict, verifyingServer } from './harness.js';

const dir = tempDir('tunnel-verify-acl-');
let pki: Pki;
/** The SPKI pin of alice's certificate, computed by the openssl CLI as an HPKP pin is. */
let alicePin = '';

test.before(async () => {
  pki = await makePki({
    dir: dir.path,
    leaves: {
      alice: { cn: 'alice/OU=ops', san: 'DNS:alice.example,URI:spiffe://example.org/alice,IP:10.0.0.1,email:alice@example.com' },
      bob: { cn: 'bob/OU=dev', san: 'DNS:bob.example,IP:::1' },
      mallory: { cn: 'mallory/OU=ops' },
    },
  });
  alicePin = (
    await run('sh', [
      '-c',
      `openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
      'sh',
      pki.cert('alice'),
    ])
  ).trim();
});

test.after(() => dir.remove());

test(
  'rules are read as KIND:VALUE with a case-insensitive kind; malformed ones are refused with ERR_TUNNEL_VERIFY_OPTION',
  timed(() => {
    assert.equal(parseAclRule('cn:alice'), { kind: 'CN', value: 'alice', text: 'CN:alice' });
    assert.equal(parseAclRule('IP:0:0:0:0:0:0:0:1').value, '::1');
    assert.equal(parseAclRule('Email: a@b.c').text, 'email:a@b.c');
    for (const bad of ['alice', 'XX:y', 'CN:', 'IP:not-an-ip', 'SPKI:short', ':x']) {
      try {
        parseAclRule(bad, 'denyPeer');
        assert.unreachable(bad);
      } catch (error) {
        assert.is((error as { code: string }).code, 'ERR_TUNNEL_VERIFY_OPTION', bad);
        assert.is((error as { option: string }).option, 'denyPeer');
      }
    }
  }),
);

test(
  'the identity of a certificate is read from its DER: subject CN/OU, every SAN kind and the SPKI pin openssl computes',
  timed(() => {
    const identity = certificateIdentity(new X509Certificate(readFileSync(pki.cert('alice'))));
    assert.equal(identity.CN, ['alice']);
    assert.equal(identity.OU, ['ops']);
    assert.equal(identity.DNS, ['alice.example']);
    assert.equal(identity.URI, ['spiffe://example.org/alice']);
    assert.equal(identity.IP, ['10.0.0.1']);
    assert.equal(identity.email, ['alice@example.com']);
    assert.equal(identity.SPKI, [alicePin]);
    assert.equal(certificateIdentity(new X509Certificate(readFileSync(pki.cert('bob')))).IP, ['::1']);
  }),
);

test(
  'an ACL without verify = 2..4 is refused: it needs a verified client certificate to decide on',
  timed(async () => {
    for (const options of [
      { allowPeer: ['CN:alice'] },
      { verify: 0 as const, CAfile: pki.ca, allowPeer: ['CN:alice'] },
      { verify: 1 as const, CAfile: pki.ca, denyPeer: ['CN:mallory'] },
    ]) {
      try {
        await createPeerVerifier(options);
        assert.unreachable();
      } catch (error) {
        assert.is((error as { code: string }).code, 'ERR_TUNNEL_VERIFY_OPTION');
        assert.match((error as Error).message, /needs verify = 2, 3 or 4/);
      }
    }
  }),
);

type Who = 'alice' | 'bob' | 'mallory' | 'none';

async function verdicts(acl: Pick<PeerVerifierOptions, 'allowPeer' | 'denyPeer'>, peers: readonly Who[]): Promise<string[]> {
  const verifier = await createPeerVerifier({ verify: 2, CAfile: pki.ca, ...acl });
  const server = await verifyingServer(verifier, { cert: pki.cert('server'), key: pki.key('server') });
  try {
    const out: string[] = [];
    for (const peer of peers) {
      const args = peer === 'none' ? [] : ['-cert', pki.cert(peer), '-key', pki.key(peer)];
      const { verdict } = await sClientVerdict(server, args);
      out.push(verdict.ok ? 'ok' : `${verdict.code} ${verdict.reason}`);
    }
    return out;
  } finally {
    await server.close();
  }
}

const DENIED = 'ERR_TUNNEL_VERIFY_ACL_DENIED';
const NOT_ALLOWED = 'ERR_TUNNEL_VERIFY_ACL_NOT_ALLOWED';

const matrix: Array<[string, Pick<PeerVerifierOptions, 'allowPeer' | 'denyPeer'>, Record<Exclude<Who, 'none'>, string>]> = [
  ['allow CN', { allowPeer: ['CN:alice'] }, { alice: 'ok', bob: NOT_ALLOWED, mallory: NOT_ALLOWED }],
  ['allow OU', { allowPeer: ['OU:ops'] }, { alice: 'ok', bob: NOT_ALLOWED, mallory: 'ok' }],
  [
    'allow OU, deny CN (deny wins)',
    { allowPeer: ['OU:ops'], denyPeer: ['CN:mallory'] },
    { alice: 'ok', bob: NOT_ALLOWED, mallory: DENIED },
  ],
  ['allow DNS (case-insensitive)', { allowPeer: ['DNS:BOB.example'] }, { alice: NOT_ALLOWED, bob: 'ok', mallory: NOT_ALLOWED }],
  ['allow URI', { allowPeer: ['URI:spiffe://example.org/alice'] }, { alice: 'ok', bob: NOT_ALLOWED, mallory: NOT_ALLOWED }],
  ['allow IP (v6 written long)', { allowPeer: ['IP:0:0:0:0:0:0:0:1', 'IP:10.0.0.1'] }, { alice: 'ok', bob: 'ok', mallory: NOT_ALLOWED }],
  ['allow email', { allowPeer: ['email:alice@example.com'] }, { alice: 'ok', bob: NOT_ALLOWED, mallory: NOT_ALLOWED }],
  ['deny only', { denyPeer: ['DNS:bob.example'] }, { alice: 'ok', bob: DENIED, mallory: 'ok' }],
];

for (const [name, acl, expected] of matrix) {
  test(
    `ACL ${name}: ${JSON.stringify(expected)} over real openssl s_client`,
    timed(async () => {
      const got = await verdicts(acl, ['alice', 'bob', 'mallory']);
      assert.equal(
        got.map((line) => line.split(' ')[0]),
        [expected.alice, expected.bob, expected.mallory],
      );
    }, 30_000),
  );
}

test(
  'an SPKI pin admits exactly the pinned key, and the refusal names the rule that refused',
  timed(async () => {
    const got = await verdicts({ allowPeer: [`SPKI:${alicePin}`], denyPeer: ['CN:mallory'] }, ['alice', 'bob', 'mallory', 'none']);
    assert.is(got[0], 'ok');
    assert.match(got[1] ?? '', /^ERR_TUNNEL_VERIFY_ACL_NOT_ALLOWED no allow rule matched \(allow SPKI:/);
    assert.is(got[2], 'ERR_TUNNEL_VERIFY_ACL_DENIED deny CN:mallory matched');
    // No certificate at all: refused by verify = 2 before the ACL is consulted.
    assert.match(got[3] ?? '', /^ERR_TUNNEL_VERIFY_NO_PEER_CERT/);
  }, 30_000),
);

test.run();
