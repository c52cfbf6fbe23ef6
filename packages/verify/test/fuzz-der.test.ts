import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempDir, timed } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkOcspResponse, checkPeer, loadTrustStore, PeerCheckError, parseCrl, VerifyCodes, VerifyConfigError } from '../src/index.js';
import { type Ca, type Leaf, rootCa } from './pki.js';

// Property-based fuzzing of what verify parses from outside: CRLs (CRLfile, a careless or hostile config) and OCSP
// responses (a hostile responder, or a stapled response from a hostile TLS peer). Arbitrary and mutated DER must end
// in a coded error or a verdict, never an uncaught exception. The seed is fixed so CI always feeds the same inputs;
// scripts/fuzz-long.sh sets FUZZ_SEED and FUZZ_RUNS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Each property's time limit (long runs raise it). */
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
const VERIFY_CODES: ReadonlySet<string> = new Set(Object.values(VerifyCodes));

interface Material {
  readonly dir: string;
  readonly ca: Ca;
  readonly good: Leaf;
  readonly revoked: Leaf;
  readonly crlDer: Buffer;
  readonly ocspDer: Buffer;
  readonly certificate: X509Certificate;
  readonly issuer: X509Certificate;
}

const temp = tempDir('tunnel-fuzz-der-');
let material: Promise<Material> | undefined;

/** A real CA (openssl ca) with a good and a revoked leaf, its CRL, and a real `openssl ocsp` response about the good leaf. */
function materials(): Promise<Material> {
  material ??= (async () => {
    const dir = temp.path;
    const ca = await rootCa('Fuzz CA', join(dir, 'ca'), 0x700);
    const good = await ca.issue('good', { cn: 'good', san: 'DNS:localhost' });
    const revoked = await ca.issue('revoked', { cn: 'revoked', san: 'DNS:localhost' });
    await ca.revoke(revoked.cert);
    const crlPem = await ca.crl('crl.pem');
    await run('openssl', ['crl', '-in', crlPem, '-outform', 'DER', '-out', join(dir, 'crl.der')]);
    const crlDer = readFileSync(join(dir, 'crl.der'));
    const request = join(dir, 'req.der');
    const response = join(dir, 'resp.der');
    await run('openssl', ['ocsp', '-issuer', ca.cert, '-cert', good.cert, '-no_nonce', '-reqout', request]);
    await run('openssl', [
      'ocsp',
      '-index',
      ca.index,
      '-rsigner',
      ca.cert,
      '-rkey',
      ca.key,
      '-CA',
      ca.cert,
      '-reqin',
      request,
      '-respout',
      response,
      '-ndays',
      '1',
    ]);
    return {
      dir,
      ca,
      good,
      revoked,
      crlDer,
      ocspDer: readFileSync(response),
      certificate: new X509Certificate(readFileSync(good.cert)),
      issuer: new X509Certificate(readFileSync(ca.cert)),
    };
  })();
  return material;
}

/** DER with a few bytes overwritten, a few inserted or removed, or cut short: what a fuzzer finds past the outer tag. */
const mutatedDer = (valid: () => Buffer) =>
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })), { maxLength: 2 }),
      fc.option(fc.nat(), { nil: undefined }),
    )
    .map(([edits, inserts, cut]) => {
      let der = Buffer.from(valid());
      for (const [at, value] of edits) der[at % der.length] = value;
      for (const [at, bytes] of inserts) {
        const where = at % (der.length + 1);
        der = Buffer.concat([der.subarray(0, where), Buffer.from(bytes), der.subarray(where)]);
      }
      if (cut !== undefined) der = der.subarray(0, cut % (der.length + 1));
      return der;
    });

const arbitraryDer = fc.oneof(
  fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
  // A SEQUENCE header with a random (often lying) length in front of random content.
  fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 200 }))
    .map(([length, body]) => Buffer.concat([Buffer.from([0x30, 0x82, length >> 8, length & 0xff]), body])),
);

function pem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

let counter = 0;

/** A CRL file through the store, then a peer check using the store: only VerifyConfigError(STORE) or a verdict. */
async function crlThroughStore(m: Material, der: Buffer): Promise<void> {
  figures.inputs += 1;
  counter += 1;
  const file = join(m.dir, `fuzz-${counter % 8}.crl`);
  writeFileSync(file, pem(der, 'X509 CRL'));
  try {
    let store: Awaited<ReturnType<typeof loadTrustStore>>;
    try {
      store = await loadTrustStore({ CAfile: m.ca.cert, CRLfile: file });
    } catch (error) {
      if (!(error instanceof VerifyConfigError) || error.code !== VerifyCodes.STORE) throw error;
      figures.refused += 1;
      return;
    }
    for (const leaf of [m.good, m.revoked]) {
      const verdict = await checkPeer([leaf.pem], { level: 2, store });
      if (verdict.ok) figures.accepted += 1;
      else {
        assert.ok(VERIFY_CODES.has(verdict.code), verdict.code);
        figures.refused += 1;
      }
    }
  } catch (error) {
    figures.crashes += 1;
    throw error;
  }
}

/** checkOcspResponse returns a status or throws PeerCheckError(OCSP_INVALID); checkPeer with it stapled returns a verdict. */
async function ocspResponse(m: Material, der: Buffer): Promise<void> {
  figures.inputs += 1;
  try {
    try {
      const status = checkOcspResponse({ der, certificate: m.certificate, issuer: m.issuer, trusted: [m.issuer] });
      assert.ok(['good', 'revoked', 'unknown'].includes(status.status));
      figures.accepted += 1;
    } catch (error) {
      if (!(error instanceof PeerCheckError) || error.code !== VerifyCodes.OCSP_INVALID) {
        throw error;
      }
      figures.refused += 1;
    }
    const store = { certificates: [m.issuer], crls: [] };
    const verdict = await checkPeer([m.good.pem], { level: 2, store, stapled: der });
    assert.type(verdict.ok, 'boolean');
    if (!verdict.ok) assert.ok(VERIFY_CODES.has(verdict.code), verdict.code);
  } catch (error) {
    figures.crashes += 1;
    throw error;
  }
}

test(
  'the fixture is sound: the real CRL parses and lists the revoked leaf, the real OCSP response says good',
  timed(async () => {
    const m = await materials();
    const crl = parseCrl(m.crlDer);
    assert.is(crl.revoked.size, 1);
    const status = checkOcspResponse({ der: m.ocspDer, certificate: m.certificate, issuer: m.issuer, trusted: [m.issuer] });
    assert.is(status.status, 'good');
    const store = await loadTrustStore({ CAfile: m.ca.cert, CRLfile: join(m.ca.dir, 'crl.pem') });
    assert.is((await checkPeer([m.revoked.pem], { level: 2, store })).ok, false);
    assert.is((await checkPeer([m.good.pem], { level: 2, store })).ok, true);
  }, LIMIT_MS),
);

test(
  'an OCSP response whose embedded signer certificate has an undecodable public key gives a status or ERR_TUNNEL_VERIFY_OCSP_INVALID, not a raw OpenSSL error',
  timed(async () => {
    // Found by the property below (seed 20261125): certs inside a BasicOCSPResponse are outside the signed part, so a
    // hostile responder or TLS peer can put one there whose SubjectPublicKeyInfo X509Certificate accepts but whose
    // publicKey getter throws ERR_OSSL_EVP_DECODE_ERROR.
    const m = await materials();
    const ecPublicKey = Buffer.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
    const at = m.ocspDer.lastIndexOf(ecPublicKey);
    assert.ok(at > 0, 'the response embeds its signer certificate');
    const der = Buffer.from(m.ocspDer);
    der[at + 2] = 0x00;
    let outcome: unknown;
    try {
      outcome = checkOcspResponse({ der, certificate: m.certificate, issuer: m.issuer, trusted: [m.issuer] }).status;
    } catch (error) {
      outcome = error;
    }
    if (outcome instanceof Error) {
      assert.instance(outcome, PeerCheckError, `${(outcome as Error & { code?: string }).code}: ${outcome.message}`);
      assert.is((outcome as PeerCheckError).code, VerifyCodes.OCSP_INVALID);
    } else assert.ok(['good', 'revoked', 'unknown'].includes(outcome as string));
  }, LIMIT_MS),
);

test(
  'parseCrl on arbitrary and mutated DER returns a CRL or throws an Error, never anything else',
  timed(async () => {
    const m = await materials();
    fc.assert(
      fc.property(
        fc.oneof(
          arbitraryDer,
          mutatedDer(() => m.crlDer),
        ),
        (der) => {
          figures.inputs += 1;
          try {
            const crl = parseCrl(der);
            assert.instance(crl.revoked, Set);
            assert.instance(crl.thisUpdate, Date);
            figures.accepted += 1;
          } catch (error) {
            if (!(error instanceof Error)) {
              figures.crashes += 1;
              throw new Error(`parseCrl threw a non-Error: ${String(error)}`);
            }
            figures.refused += 1;
          }
        },
      ),
      { seed: SEED, numRuns: RUNS * 5 },
    );
  }, LIMIT_MS),
);

test(
  'a CRLfile holding arbitrary or mutated DER is refused with ERR_TUNNEL_VERIFY_STORE, or loads and peer checks still give verdicts',
  timed(async () => {
    const m = await materials();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          arbitraryDer,
          mutatedDer(() => m.crlDer),
        ),
        (der) => crlThroughStore(m, der),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test(
  'an OCSP response of arbitrary or mutated DER gives a status or ERR_TUNNEL_VERIFY_OCSP_INVALID, and a stapled one a verdict',
  timed(async () => {
    const m = await materials();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          arbitraryDer,
          mutatedDer(() => m.ocspDer),
          mutatedDer(() => m.ocspDer),
        ),
        (der) => ocspResponse(m, der),
      ),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  }, LIMIT_MS),
);

test.after(() => {
  temp.remove();
  console.log(
    `fuzz verify DER (CRL, OCSP): seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes`,
  );
});

test.run();
