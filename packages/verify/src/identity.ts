import type { X509Certificate } from 'node:crypto';
import { PeerCheckError, VerifyCodes } from './errors.js';

/** The stunnel `checkHost`, `checkEmail` and `checkIP` lists; an empty list checks nothing. */
export interface IdentityPolicy {
  readonly checkHost?: readonly string[] | undefined;
  readonly checkEmail?: readonly string[] | undefined;
  readonly checkIP?: readonly string[] | undefined;
}

/**
 * Checks the peer certificate's names as stunnel does: within one option any
 * listed value may match; every option that is given must match (stunnel
 * rejects on the first option with no match). Matching is OpenSSL's
 * X509_check_host/email/ip through Node's X509Certificate: subjectAltName
 * first, the subject CN/emailAddress only when the certificate has no SAN of
 * that kind; `*.` wildcards in the certificate match one label.
 *
 * @throws PeerCheckError `ERR_TUNNEL_VERIFY_HOST_MISMATCH`, `..._EMAIL_MISMATCH`, `..._IP_MISMATCH`.
 */
export function checkIdentity(leaf: X509Certificate, policy: IdentityPolicy): void {
  const hosts = policy.checkHost ?? [];
  if (hosts.length > 0 && !hosts.some((host) => leaf.checkHost(host) !== undefined)) {
    throw new PeerCheckError(VerifyCodes.HOST_MISMATCH, `no checkHost value (${hosts.join(', ')}) matches the peer certificate`, {
      depth: 0,
    });
  }
  const emails = policy.checkEmail ?? [];
  if (emails.length > 0 && !emails.some((email) => leaf.checkEmail(email) !== undefined)) {
    throw new PeerCheckError(VerifyCodes.EMAIL_MISMATCH, `no checkEmail value (${emails.join(', ')}) matches the peer certificate`, {
      depth: 0,
    });
  }
  const ips = policy.checkIP ?? [];
  if (ips.length > 0 && !ips.some((ip) => leaf.checkIP(ip) !== undefined)) {
    throw new PeerCheckError(VerifyCodes.IP_MISMATCH, `no checkIP value (${ips.join(', ')}) matches the peer certificate`, { depth: 0 });
  }
}
