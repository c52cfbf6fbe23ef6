import type { X509Certificate } from 'node:crypto';
import { checkAcl, type IdentityAcl } from './acl.js';
import { isSelfSigned, ocspUrls, subjectLine, toX509 } from './certificate.js';
import { checkLeafDates, isLocallyInstalled, verifyChain } from './chain.js';
import { PeerCheckError, VerifyCodes } from './errors.js';
import { checkIdentity, type IdentityPolicy } from './identity.js';
import { defaultOcspFlags, type OcspFlags } from './ocsp-flags.js';
import { checkOcspResponse, type OcspStatus } from './ocsp-message.js';
import { DEFAULT_OCSP_TIMEOUT_MS, queryOcsp } from './ocsp-query.js';
import type { TrustStore } from './store.js';

/** A peer sending more certificates than this is refused before any parsing. */
const MAX_CHAIN = 16;

/** stunnel `verify` levels; `undefined` is stunnel's default, no verification. */
export type VerifyLevel = 0 | 1 | 2 | 3 | 4;

/** The verdict handed to core (same shape as core's seam). */
export type PeerVerdict = { ok: true; subject?: string } | { ok: false; code: string; reason: string };

/** OCSP settings: stunnel `OCSP`, `OCSPaia`, `OCSPflag`, `OCSPnonce`. */
export interface OcspPolicy {
  /** Responder asked about every certificate of the chain (stunnel `OCSP`). */
  readonly url?: string | undefined;
  /** Also ask the responders named in each certificate's AIA extension (stunnel `OCSPaia`). */
  readonly aia?: boolean | undefined;
  readonly nonce?: boolean | undefined;
  readonly flags?: OcspFlags | undefined;
  readonly timeoutMs?: number | undefined;
  /**
   * stunnel `OCSPrequire` (default true): an inconclusive answer — the responder unreachable or timing out, or
   * "unknown" for the certificate — refuses the peer. With false it lets the peer through; "revoked" and a response
   * that fails its checks (bad signature, stale, wrong nonce) still refuse.
   */
  readonly require?: boolean | undefined;
}

/** Everything {@link checkPeer} decides with. */
export interface PeerPolicy extends IdentityPolicy {
  readonly level: VerifyLevel | undefined;
  readonly store: TrustStore;
  readonly ocsp?: OcspPolicy | undefined;
  /** A DER OCSP response stapled by the peer (TLS status_request), checked for the peer certificate. */
  readonly stapled?: Buffer | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Clock for validity checks; default now. */
  readonly now?: Date | undefined;
  /** Identity ACL (`allowPeer` / `denyPeer`), applied last, to a verified peer certificate. */
  readonly acl?: IdentityAcl | undefined;
}

function ocspFailure(certificate: X509Certificate, status: OcspStatus, depth: number): PeerCheckError {
  if (status.status === 'revoked') {
    const when = status.revokedAt === undefined ? '' : ` at ${status.revokedAt.toISOString()}`;
    return new PeerCheckError(VerifyCodes.OCSP_REVOKED, `OCSP: certificate ${certificate.serialNumber} revoked${when} (depth ${depth})`, {
      depth,
    });
  }
  return new PeerCheckError(
    VerifyCodes.OCSP_UNKNOWN,
    `OCSP: responder does not know certificate ${certificate.serialNumber} (depth ${depth})`,
    {
      depth,
    },
  );
}

/** Whether an OCSP outcome neither confirms nor denies the certificate (no answer, or "unknown"). */
function inconclusive(outcome: OcspStatus | PeerCheckError): boolean {
  return outcome instanceof PeerCheckError ? outcome.code === VerifyCodes.OCSP_UNREACHABLE : outcome.status === 'unknown';
}

/** Throws unless one certificate's OCSP outcome is good, or inconclusive where `OCSPrequire = no` allows it. */
function conclude(certificate: X509Certificate, outcome: OcspStatus | PeerCheckError, depth: number, ocsp: OcspPolicy): void {
  if (!(outcome instanceof PeerCheckError) && outcome.status === 'good') return;
  if (ocsp.require === false && inconclusive(outcome)) return;
  throw outcome instanceof PeerCheckError ? outcome : ocspFailure(certificate, outcome, depth);
}

/**
 * stunnel's ocsp_check for every certificate of the verified path except the
 * root: the configured `OCSP` responder must say good; then, with `OCSPaia`,
 * the AIA responders are tried in order until one gives a definitive answer,
 * which must be good (a certificate without AIA responders passes). A stapled
 * response for the peer certificate, when present and verified, answers for
 * it instead of the network.
 */
async function checkOcsp(path: readonly X509Certificate[], policy: PeerPolicy, ocsp: OcspPolicy, signal: AbortSignal): Promise<void> {
  const trusted = [...policy.store.certificates, ...path];
  const flags = ocsp.flags ?? defaultOcspFlags;
  const ask = (certificate: X509Certificate, issuer: X509Certificate, url: string) =>
    queryOcsp({
      certificate,
      issuer,
      url,
      nonce: ocsp.nonce ?? false,
      trusted,
      flags,
      signal,
      timeoutMs: ocsp.timeoutMs ?? DEFAULT_OCSP_TIMEOUT_MS,
    });
  for (let depth = 0; depth < path.length - 1; depth += 1) {
    const certificate = path[depth] as X509Certificate;
    const issuer = path[depth + 1] as X509Certificate;
    if (isSelfSigned(certificate)) continue;
    if (depth === 0 && policy.stapled != null && policy.stapled.length > 0) {
      conclude(certificate, checkOcspResponse({ der: policy.stapled, certificate, issuer, trusted, flags, now: policy.now }), depth, ocsp);
      continue;
    }
    if (ocsp.url !== undefined) {
      let status: OcspStatus | PeerCheckError;
      try {
        status = await ask(certificate, issuer, ocsp.url);
      } catch (error) {
        if (!(error instanceof PeerCheckError)) throw error;
        status = error;
      }
      conclude(certificate, status, depth, ocsp);
    }
    if (ocsp.aia) {
      const urls = ocspUrls(certificate);
      let last: OcspStatus | PeerCheckError | undefined;
      for (const url of urls) {
        try {
          last = await ask(certificate, issuer, url);
        } catch (error) {
          if (!(error instanceof PeerCheckError)) throw error;
          last = error;
        }
        if (!(last instanceof PeerCheckError) && last.status !== 'unknown') break;
      }
      if (last !== undefined) conclude(certificate, last, depth, ocsp);
    }
  }
}

async function decide(chain: readonly X509Certificate[], policy: PeerPolicy): Promise<PeerVerdict> {
  const leaf = chain[0];
  const level = policy.level;
  const now = policy.now ?? new Date();
  // Default and level 0: the certificate (if any) is requested and ignored.
  if (level === undefined || level === 0) return leaf === undefined ? { ok: true } : { ok: true, subject: subjectLine(leaf) };
  if (leaf === undefined) {
    // Level 1 verifies the certificate only if present; 2-4 require one.
    if (level === 1) return { ok: true };
    throw new PeerCheckError(VerifyCodes.NO_PEER_CERT, `verify = ${level}: the peer presented no certificate`);
  }
  if (level >= 3 && !isLocallyInstalled(leaf, policy.store)) {
    throw new PeerCheckError(VerifyCodes.NOT_LOCAL, `verify = ${level}: the peer certificate is not installed locally (CAfile/CApath)`, {
      depth: 0,
    });
  }
  if (level === 4) {
    // Level 4 ignores the CA chain; the certificate's own validity still counts.
    checkLeafDates(leaf, now);
  } else {
    const path = verifyChain(leaf, chain.slice(1), policy.store, now);
    const ocsp = policy.ocsp ?? {};
    const stapled = policy.stapled != null && policy.stapled.length > 0;
    if (ocsp.url !== undefined || ocsp.aia === true || stapled) {
      await checkOcsp(path, policy, ocsp, policy.signal ?? new AbortController().signal);
    }
  }
  checkIdentity(leaf, policy);
  if (policy.acl !== undefined) checkAcl(leaf, policy.acl);
  return { ok: true, subject: subjectLine(leaf) };
}

/**
 * Decides whether a peer's certificate chain is acceptable under a stunnel
 * `verify` policy: levels 0-4, CA store, CRLs, checkHost/checkEmail/checkIP,
 * OCSP and a stapled OCSP response. Never throws for a bad peer: every failure
 * is a verdict `{ ok: false, code, reason }` with a stable `ERR_TUNNEL_VERIFY_*`
 * code.
 *
 * @param chain the peer's certificates as sent, peer first (PEM, DER or X509Certificate); empty when it sent none.
 */
export async function checkPeer(chain: ReadonlyArray<X509Certificate | Buffer | string>, policy: PeerPolicy): Promise<PeerVerdict> {
  try {
    if (chain.length > MAX_CHAIN) throw new PeerCheckError(VerifyCodes.CHAIN, `peer sent more than ${MAX_CHAIN} certificates`);
    let certificates: X509Certificate[];
    try {
      certificates = chain.map(toX509);
    } catch (cause) {
      throw new PeerCheckError(VerifyCodes.CHAIN, `malformed peer certificate: ${(cause as Error).message}`, { cause });
    }
    return await decide(certificates, policy);
  } catch (error) {
    if (error instanceof PeerCheckError) return { ok: false, code: error.code, reason: error.message };
    return { ok: false, code: VerifyCodes.CHAIN, reason: `verification failed: ${(error as Error).message}` };
  }
}
