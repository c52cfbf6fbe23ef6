import type { X509Certificate } from 'node:crypto';
import { asPkijs, isSelfSigned, sameCertificate, validity } from './certificate.js';
import type { Crl } from './crl.js';
import { normalizeSerial } from './crl.js';
import { PeerCheckError, VerifyCodes } from './errors.js';
import { verifySignature } from './signature.js';
import type { TrustStore } from './store.js';

/** OpenSSL's default maximum chain depth (X509_VERIFY_PARAM depth 100 is absurd for a tunnel; 10 bounds the search). */
const MAX_DEPTH = 10;

function issues(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

function isTrusted(certificate: X509Certificate, store: TrustStore): boolean {
  return store.certificates.some((candidate) => sameCertificate(candidate, certificate));
}

/**
 * Builds a path from `leaf` to a trusted self-signed certificate: issuers are
 * looked up in the store first, then among the certificates the peer sent, as
 * OpenSSL does; the path must end at a root that is in the store (no partial
 * chains, OpenSSL's default). Depth-first with backtracking, so a wrong
 * candidate with the same subject does not hide a right one.
 */
function buildPath(leaf: X509Certificate, untrusted: readonly X509Certificate[], store: TrustStore): X509Certificate[] | string {
  let reason = 'unable to get local issuer certificate';
  const walk = (path: X509Certificate[]): X509Certificate[] | undefined => {
    const current = path[path.length - 1] as X509Certificate;
    if (isSelfSigned(current)) {
      if (isTrusted(current, store)) return path;
      reason = path.length === 1 ? 'self-signed certificate' : 'self-signed certificate in certificate chain';
      return undefined;
    }
    if (path.length > MAX_DEPTH) {
      reason = 'certificate chain too long';
      return undefined;
    }
    const candidates = [...store.certificates, ...untrusted];
    for (const candidate of candidates) {
      if (path.some((seen) => sameCertificate(seen, candidate))) continue;
      if (!issues(candidate, current)) continue;
      const found = walk([...path, candidate]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk([leaf]) ?? reason;
}

function checkDates(path: readonly X509Certificate[], now: Date): void {
  path.forEach((certificate, depth) => {
    const { notBefore, notAfter } = validity(certificate);
    if (now < notBefore) {
      throw new PeerCheckError(VerifyCodes.CERT_NOT_YET_VALID, `certificate is not yet valid at depth ${depth}`, { depth });
    }
    if (now > notAfter) throw new PeerCheckError(VerifyCodes.CERT_EXPIRED, `certificate has expired at depth ${depth}`, { depth });
  });
}

function checkCaFlags(path: readonly X509Certificate[]): void {
  // RFC 5280 §4.2.1.9: only a certificate with basicConstraints cA=TRUE may issue others.
  for (let depth = 1; depth < path.length; depth += 1) {
    if (!(path[depth] as X509Certificate).ca) {
      throw new PeerCheckError(VerifyCodes.CHAIN, `invalid CA certificate at depth ${depth}`, { depth });
    }
  }
}

/**
 * Checks `certificate` against the CRLs of `issuer`, as OpenSSL does with
 * X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL (what stunnel sets when a
 * CRL store is configured): a CRL must exist for every issuer, its signature
 * must verify, it must be current (no grace period: an expired CRL fails
 * with "CRL has expired"), and the serial must not be listed.
 */
function checkCrl(certificate: X509Certificate, issuer: X509Certificate, crls: readonly Crl[], depth: number, now: Date): void {
  const issuerName = asPkijs(certificate).issuer;
  const named = crls.filter((crl) => crl.issuer.isEqual(issuerName));
  if (named.length === 0) throw new PeerCheckError(VerifyCodes.CRL_MISSING, `unable to get certificate CRL at depth ${depth}`, { depth });
  const signed = named.filter((crl) => verifySignature(crl.tbs, crl.signatureAlgorithm, crl.signature, issuer.publicKey));
  if (signed.length === 0) throw new PeerCheckError(VerifyCodes.CRL_SIGNATURE, `CRL signature failure at depth ${depth}`, { depth });
  const current = signed
    .filter((crl) => crl.thisUpdate <= now && (crl.nextUpdate === undefined || crl.nextUpdate >= now))
    .sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
  const best = current[0];
  if (best === undefined) {
    const newest = [...signed].sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime())[0] as Crl;
    if (newest.thisUpdate > now)
      throw new PeerCheckError(VerifyCodes.CRL_NOT_YET_VALID, `CRL is not yet valid at depth ${depth}`, { depth });
    throw new PeerCheckError(VerifyCodes.CRL_EXPIRED, `CRL has expired at depth ${depth}`, { depth });
  }
  if (best.revoked.has(normalizeSerial(certificate.serialNumber))) {
    throw new PeerCheckError(VerifyCodes.REVOKED, `certificate revoked (serial ${certificate.serialNumber}) at depth ${depth}`, { depth });
  }
}

/**
 * Verifies the peer's chain against the store: path to a trusted root,
 * validity dates of every certificate, cA flags of every issuer, and CRLs when
 * the store has any. Returns the verified path, peer first, root last.
 *
 * @throws PeerCheckError `ERR_TUNNEL_VERIFY_CHAIN`, `..._CERT_EXPIRED`, `..._CERT_NOT_YET_VALID`,
 *   `..._REVOKED`, `..._CRL_MISSING`, `..._CRL_EXPIRED`, `..._CRL_NOT_YET_VALID`, `..._CRL_SIGNATURE`.
 */
export function verifyChain(leaf: X509Certificate, untrusted: readonly X509Certificate[], store: TrustStore, now: Date): X509Certificate[] {
  const path = buildPath(leaf, untrusted, store);
  if (typeof path === 'string') throw new PeerCheckError(VerifyCodes.CHAIN, path, { depth: 0 });
  checkDates(path, now);
  checkCaFlags(path);
  if (store.crls.length > 0) {
    for (let depth = 0; depth < path.length - 1; depth += 1) {
      checkCrl(path[depth] as X509Certificate, path[depth + 1] as X509Certificate, store.crls, depth, now);
    }
  }
  return path;
}

/**
 * Levels 3 and 4: whether the peer certificate is installed locally (CAfile/CApath).
 * As stunnel's cert_check_local: a store certificate with the same subject
 * and the same public key matches (so a renewal with the same key still does).
 */
export function isLocallyInstalled(leaf: X509Certificate, store: TrustStore): boolean {
  const subject = asPkijs(leaf).subject;
  return store.certificates.some(
    (candidate) =>
      sameCertificate(candidate, leaf) || (asPkijs(candidate).subject.isEqual(subject) && candidate.publicKey.equals(leaf.publicKey)),
  );
}

/** Level 4: only the peer certificate's own validity dates are checked. */
export function checkLeafDates(leaf: X509Certificate, now: Date): void {
  checkDates([leaf], now);
}
