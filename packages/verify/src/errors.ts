/**
 * Stable error codes of @tunnel/verify. Callers match on `code`, never on the
 * message. Configuration problems are thrown as {@link VerifyConfigError};
 * per-peer failures are returned as a rejected {@link PeerVerdict} carrying
 * one of the `ERR_TUNNEL_VERIFY_*` peer codes below.
 */
export const VerifyCodes = {
  /** The configuration is invalid (bad level, option used without `verify`, unknown `OCSPflag`, bad URL). */
  OPTION: 'ERR_TUNNEL_VERIFY_OPTION',
  /** A CAfile / CApath / CRLfile / CRLpath could not be read or holds no usable PEM object. */
  STORE: 'ERR_TUNNEL_VERIFY_STORE',
  /** The peer sent no certificate although the level requires one (2, 3, 4). */
  NO_PEER_CERT: 'ERR_TUNNEL_VERIFY_NO_PEER_CERT',
  /** The peer certificate does not chain to a trusted self-signed CA (missing issuer, bad signature, non-CA issuer, loop, too deep). */
  CHAIN: 'ERR_TUNNEL_VERIFY_CHAIN',
  /** A certificate of the chain is past its notAfter. */
  CERT_EXPIRED: 'ERR_TUNNEL_VERIFY_CERT_EXPIRED',
  /** A certificate of the chain is before its notBefore. */
  CERT_NOT_YET_VALID: 'ERR_TUNNEL_VERIFY_CERT_NOT_YET_VALID',
  /** A certificate of the chain is listed in a CRL of its issuer. */
  REVOKED: 'ERR_TUNNEL_VERIFY_REVOKED',
  /** CRLs are configured but none is from the issuer of a chain certificate (OpenSSL "unable to get certificate CRL"). */
  CRL_MISSING: 'ERR_TUNNEL_VERIFY_CRL_MISSING',
  /** The only CRL of an issuer is past its nextUpdate (OpenSSL "CRL has expired"). */
  CRL_EXPIRED: 'ERR_TUNNEL_VERIFY_CRL_EXPIRED',
  /** The only CRL of an issuer is before its thisUpdate (OpenSSL "CRL is not yet valid"). */
  CRL_NOT_YET_VALID: 'ERR_TUNNEL_VERIFY_CRL_NOT_YET_VALID',
  /** A CRL names the issuer but its signature does not verify with the issuer's key. */
  CRL_SIGNATURE: 'ERR_TUNNEL_VERIFY_CRL_SIGNATURE',
  /** Level 3 or 4: the peer certificate is not one of the locally installed certificates. */
  NOT_LOCAL: 'ERR_TUNNEL_VERIFY_NOT_LOCAL',
  /** No `checkHost` value matches the peer certificate. */
  HOST_MISMATCH: 'ERR_TUNNEL_VERIFY_HOST_MISMATCH',
  /** No `checkEmail` value matches the peer certificate. */
  EMAIL_MISMATCH: 'ERR_TUNNEL_VERIFY_EMAIL_MISMATCH',
  /** No `checkIP` value matches the peer certificate. */
  IP_MISMATCH: 'ERR_TUNNEL_VERIFY_IP_MISMATCH',
  /** The OCSP responder says the certificate is revoked. */
  OCSP_REVOKED: 'ERR_TUNNEL_VERIFY_OCSP_REVOKED',
  /** The OCSP responder does not know the certificate. */
  OCSP_UNKNOWN: 'ERR_TUNNEL_VERIFY_OCSP_UNKNOWN',
  /** The OCSP responder could not be reached, timed out, or answered with an HTTP error. */
  OCSP_UNREACHABLE: 'ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE',
  /** The OCSP response is malformed, unsuccessful, badly signed, from an unauthorised signer, stale, or has a wrong nonce. */
  OCSP_INVALID: 'ERR_TUNNEL_VERIFY_OCSP_INVALID',
  /** A `denyPeer` identity rule matches the peer certificate (tunnel extension). */
  ACL_DENIED: 'ERR_TUNNEL_VERIFY_ACL_DENIED',
  /** `allowPeer` rules are set and none matches the peer certificate (tunnel extension). */
  ACL_NOT_ALLOWED: 'ERR_TUNNEL_VERIFY_ACL_NOT_ALLOWED',
} as const;

/** One of the stable codes in {@link VerifyCodes}. */
export type VerifyCode = (typeof VerifyCodes)[keyof typeof VerifyCodes];

/** Thrown by {@link createPeerVerifier} and the loaders when the configuration cannot work. */
export class VerifyConfigError extends Error {
  readonly code: VerifyCode;
  /** The stunnel option at fault, e.g. `OCSPflag`. */
  readonly option: string | undefined;
  /** The file or directory at fault, when there is one. */
  readonly path: string | undefined;

  constructor(code: VerifyCode, message: string, details: { option?: string; path?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'VerifyConfigError';
    this.code = code;
    this.option = details.option;
    this.path = details.path;
  }
}

/**
 * A failed check inside the verifier. It never escapes {@link checkPeer}: it is
 * turned into `{ ok: false, code, reason }`. {@link queryOcsp} throws it.
 */
export class PeerCheckError extends Error {
  readonly code: VerifyCode;
  /** Depth in the chain of the certificate at fault (0 = peer), when known. */
  readonly depth: number | undefined;

  constructor(code: VerifyCode, message: string, details: { depth?: number; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PeerCheckError';
    this.code = code;
    this.depth = details.depth;
  }
}
