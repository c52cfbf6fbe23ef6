import type { X509Certificate } from 'node:crypto';
import { toX509 } from './certificate.js';
import type { OcspFlags } from './ocsp-flags.js';
import { postOcspRequest } from './ocsp-http.js';
import { buildOcspRequest, checkOcspResponse, type OcspStatus } from './ocsp-message.js';

/** Default time limit of one OCSP exchange, like stunnel's TIMEOUTbusy default. */
export const DEFAULT_OCSP_TIMEOUT_MS = 10_000;

/** Parameters of {@link queryOcsp}. */
export interface QueryOcspOptions {
  /** The certificate to ask about, and its issuer (PEM, DER or X509Certificate). */
  readonly certificate: X509Certificate | Buffer | string;
  readonly issuer: X509Certificate | Buffer | string;
  /** Responder URL (`http:` only). */
  readonly url: string;
  /** Send a nonce and require the response to echo it (stunnel `OCSPnonce`). Default false. */
  readonly nonce?: boolean;
  /** Extra certificates trusted to anchor a delegated responder (the CA store). The issuer is always trusted. */
  readonly trusted?: ReadonlyArray<X509Certificate | Buffer | string>;
  /** stunnel `OCSPflag` values, parsed with `parseOcspFlags`. */
  readonly flags?: OcspFlags;
  readonly signal: AbortSignal;
  /** Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** A verified OCSP answer plus the DER it came in (for stapling). */
export interface OcspAnswer extends OcspStatus {
  readonly der: Buffer;
}

/**
 * Asks an OCSP responder about one certificate and verifies the answer
 * (signature, responder authority, validity window, nonce). Resolves with the
 * status — `good`, `revoked` or `unknown` — which the caller turns into a
 * decision; it rejects only when no trustworthy answer was obtained.
 *
 * @throws PeerCheckError `ERR_TUNNEL_VERIFY_OCSP_UNREACHABLE` (network, HTTP, timeout),
 *   `ERR_TUNNEL_VERIFY_OCSP_INVALID` (malformed, unsigned, unauthorised, stale, nonce).
 */
export async function queryOcsp(options: QueryOcspOptions): Promise<OcspAnswer> {
  const certificate = toX509(options.certificate);
  const issuer = toX509(options.issuer);
  const request = buildOcspRequest({ certificate, issuer, nonce: options.nonce ?? false });
  const der = await postOcspRequest({
    url: options.url,
    body: request.der,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_OCSP_TIMEOUT_MS,
  });
  const status = checkOcspResponse({
    der,
    certificate,
    issuer,
    trusted: (options.trusted ?? []).map(toX509),
    nonce: request.nonce,
    flags: options.flags,
  });
  return { ...status, der };
}
