import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPeerVerifier, loadTrustStore, type PeerVerifierOptions, parseOcspFlags, VerifyConfigError } from '../src/index.js';
import { fixture } from './fixture.js';

async function rejection(options: PeerVerifierOptions): Promise<VerifyConfigError> {
  try {
    await createPeerVerifier(options);
  } catch (error) {
    assert.instance(error, VerifyConfigError);
    return error as VerifyConfigError;
  }
  throw new Error('createPeerVerifier accepted the options');
}

const refused: Array<[string, (ca: string) => PeerVerifierOptions, string, string]> = [
  ['a level outside 0-4', (ca) => ({ verify: 5 as 0, CAfile: ca }), 'ERR_TUNNEL_VERIFY_OPTION', 'verify'],
  ['verify = 2 without any CA store', () => ({ verify: 2 }), 'ERR_TUNNEL_VERIFY_OPTION', 'verify'],
  ['checkHost without verify', (ca) => ({ CAfile: ca, checkHost: ['a.example'] }), 'ERR_TUNNEL_VERIFY_OPTION', 'checkHost'],
  ['checkIP with verify = 0', (ca) => ({ verify: 0, CAfile: ca, checkIP: ['127.0.0.1'] }), 'ERR_TUNNEL_VERIFY_OPTION', 'checkIP'],
  ['CRLfile with verify = 4', (ca) => ({ verify: 4, CAfile: ca, CRLfile: ca }), 'ERR_TUNNEL_VERIFY_OPTION', 'CRLfile'],
  ['OCSPaia without verify', (ca) => ({ CAfile: ca, OCSPaia: true }), 'ERR_TUNNEL_VERIFY_OPTION', 'OCSPaia'],
  ['an https OCSP responder', (ca) => ({ verify: 2, CAfile: ca, OCSP: 'https://ocsp.example/' }), 'ERR_TUNNEL_VERIFY_OPTION', 'OCSP'],
  ['an OCSP value that is not a URL', (ca) => ({ verify: 2, CAfile: ca, OCSP: 'nope' }), 'ERR_TUNNEL_VERIFY_OPTION', 'OCSP'],
  ['an unknown OCSPflag', (ca) => ({ verify: 2, CAfile: ca, OCSPflag: ['NOSUCH'] }), 'ERR_TUNNEL_VERIFY_OPTION', 'OCSPflag'],
  ['a zero TIMEOUTocsp', (ca) => ({ verify: 2, CAfile: ca, TIMEOUTocsp: 0 }), 'ERR_TUNNEL_VERIFY_OPTION', 'TIMEOUTocsp'],
  ['a missing CAfile', () => ({ verify: 2, CAfile: '/nonexistent/ca.pem' }), 'ERR_TUNNEL_VERIFY_STORE', 'CAfile'],
  ['a missing CApath', () => ({ verify: 2, CApath: '/nonexistent' }), 'ERR_TUNNEL_VERIFY_STORE', 'CApath'],
];

for (const [name, options, code, option] of refused) {
  test(
    `createPeerVerifier refuses ${name}, naming the option`,
    timed(async () => {
      const f = await fixture();
      const error = await rejection(options(f.caFile));
      assert.is(error.code, code);
      assert.is(error.option, option);
      assert.match(error.message, option);
    }, 20_000),
  );
}

test(
  'a CAfile with no certificate and a CRLfile with no CRL are refused',
  timed(async () => {
    const dir = tempDir();
    try {
      const empty = join(dir.path, 'empty.pem');
      writeFileSync(empty, 'just text\n');
      const noCert = await rejection({ verify: 2, CAfile: empty });
      assert.is(noCert.code, 'ERR_TUNNEL_VERIFY_STORE');
      assert.is(noCert.path, empty);
      const f = await fixture();
      const noCrl = await rejection({ verify: 2, CAfile: f.caFile, CRLfile: empty });
      assert.is(noCrl.code, 'ERR_TUNNEL_VERIFY_STORE');
      writeFileSync(empty, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      const garbage = await rejection({ verify: 2, CAfile: empty });
      assert.is(garbage.code, 'ERR_TUNNEL_VERIFY_STORE');
    } finally {
      dir.remove();
    }
  }, 20_000),
);

test(
  'tlsOptions ask for a client certificate whenever verify is set, and for a staple when the chain is checked',
  timed(async () => {
    const f = await fixture();
    assert.equal((await createPeerVerifier({})).tlsOptions, {});
    const level2 = await createPeerVerifier({ verify: 2, CAfile: f.caFile });
    assert.is(level2.tlsOptions.requestCert, true);
    assert.is(level2.tlsOptions.requestOCSP, true);
    assert.is(level2.tlsOptions.ca?.length, 1);
    assert.match(String(level2.tlsOptions.ca?.[0]), /BEGIN CERTIFICATE/);
    const level4 = await createPeerVerifier({ verify: 4, CAfile: f.soloFile });
    assert.is(level4.tlsOptions.requestOCSP, undefined);
    assert.is(level2.staple, undefined);
  }, 20_000),
);

test(
  'CApath loads every hashed file and ignores other names',
  timed(async () => {
    const f = await fixture();
    writeFileSync(join(f.caPath, 'README'), 'not a certificate');
    const store = await loadTrustStore({ CApath: f.caPath, CRLpath: f.crlPath });
    assert.is(store.certificates.length, 1);
    assert.is(store.crls.length, 2);
  }, 20_000),
);

test('OCSPflag names parse case-insensitively, each to its own switch', () => {
  const all = parseOcspFlags([
    'NOCERTS',
    'nointern',
    'NOSIGS',
    'NOCHAIN',
    'NOVERIFY',
    'NOEXPLICIT',
    'NOCASIGN',
    'NODELEGATED',
    'NOCHECKS',
    'TRUSTOTHER',
    'RESPID_KEY',
    'NOTIME',
  ]);
  assert.equal(all, {
    noIntern: true,
    noSigs: true,
    noChain: true,
    noVerify: true,
    noCaSign: true,
    noDelegated: true,
    noChecks: true,
    trustOther: true,
  });
  assert.equal(parseOcspFlags(['NOCASIGN']).noCaSign, true);
  assert.equal(parseOcspFlags(['NOCASIGN']).noDelegated, false);
});

test.run();
