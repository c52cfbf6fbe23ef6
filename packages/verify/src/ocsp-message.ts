import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { asPkijs, isSelfSigned, sameCertificate, validity } from './certificate.js';
import { PeerCheckError, VerifyCodes } from './errors.js';
import { defaultOcspFlags, type OcspFlags } from './ocsp-flags.js';
import { verifySignature } from './signature.js';

const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const ID_PKIX_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const ID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const SHA1 = '1.3.14.3.2.26';
const HASHES: Readonly<Record<string, string>> = {
  [SHA1]: 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** RFC 6960 §2.3 response status names, for error messages. */
const RESPONSE_STATUS = ['successful', 'malformedRequest', 'internalError', 'tryLater', '(unused)', 'sigRequired', 'unauthorized'];
/** stunnel accepts an OCSP response whose validity window is off by at most this (OCSP_check_validity nsec = 60). */
const LEEWAY_MS = 60_000;
const MAX_DEPTH = 10;

/** A built OCSP request and the nonce it carries, if any. */
export interface BuiltOcspRequest {
  readonly der: Buffer;
  readonly nonce: Buffer | undefined;
}

/** The verified answer of a responder about one certificate. */
export interface OcspStatus {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  readonly revokedAt?: Date | undefined;
}

function certId(certificate: X509Certificate, issuer: X509Certificate, hashOid: string): pkijs.CertID {
  const hash = HASHES[hashOid];
  if (hash === undefined) throw new Error(`unsupported CertID hash ${hashOid}`);
  const digest = (data: Uint8Array) => new Uint8Array(createHash(hash).update(data).digest());
  const issuerView = asPkijs(issuer);
  return new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: hashOid, algorithmParams: new asn1js.Null() }),
    // RFC 6960 §4.1.1: hashes of the issuer's DN and of the issuer's public key BIT STRING value.
    issuerNameHash: new asn1js.OctetString({ valueHex: digest(new Uint8Array(asPkijs(certificate).issuer.toSchema().toBER(false))) }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: digest(issuerView.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView) }),
    serialNumber: asPkijs(certificate).serialNumber,
  });
}

/**
 * Builds a DER OCSPRequest (RFC 6960 §4.1) for one certificate, SHA-1 CertID
 * (what OpenSSL and every responder accept), unsigned, with a random 16-byte
 * nonce extension (RFC 8954) when asked.
 */
export function buildOcspRequest(options: { certificate: X509Certificate; issuer: X509Certificate; nonce: boolean }): BuiltOcspRequest {
  const request = new pkijs.OCSPRequest();
  request.tbsRequest.requestList.push(new pkijs.Request({ reqCert: certId(options.certificate, options.issuer, SHA1) }));
  let nonce: Buffer | undefined;
  if (options.nonce) {
    nonce = randomBytes(16);
    const inner = new asn1js.OctetString({ valueHex: new Uint8Array(nonce) }).toBER(false);
    request.tbsRequest.requestExtensions = [new pkijs.Extension({ extnID: ID_PKIX_OCSP_NONCE, critical: false, extnValue: inner })];
  }
  return { der: Buffer.from(request.toSchema(true).toBER(false)), nonce };
}

function invalid(message: string, cause?: unknown): PeerCheckError {
  return new PeerCheckError(VerifyCodes.OCSP_INVALID, `OCSP response: ${message}`, cause === undefined ? {} : { cause });
}

function decodeBasic(der: Buffer): pkijs.BasicOCSPResponse {
  let response: pkijs.OCSPResponse;
  try {
    response = pkijs.OCSPResponse.fromBER(new Uint8Array(der));
  } catch (cause) {
    throw invalid('not a DER OCSPResponse', cause);
  }
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0) throw invalid(`responder error ${status} (${RESPONSE_STATUS[status] ?? 'unknown'})`);
  const bytes = response.responseBytes;
  if (bytes === undefined || bytes.responseType !== ID_PKIX_OCSP_BASIC) throw invalid('not a basic OCSP response');
  try {
    return pkijs.BasicOCSPResponse.fromBER(bytes.response.valueBlock.valueHexView);
  } catch (cause) {
    throw invalid('malformed BasicOCSPResponse', cause);
  }
}

function keyHash(certificate: X509Certificate): Buffer {
  return createHash('sha1').update(asPkijs(certificate).subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest();
}

function matchesResponderId(candidate: X509Certificate, responderId: unknown): boolean {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return asPkijs(candidate).subject.isEqual(responderId);
  if (responderId instanceof asn1js.OctetString) return keyHash(candidate).equals(Buffer.from(responderId.valueBlock.valueHexView));
  return false;
}

function issues(issuer: X509Certificate, subject: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

/** Whether `signer` chains to a trusted root of `trusted`, through `untrusted`. */
function chainsToTrusted(
  signer: X509Certificate,
  untrusted: readonly X509Certificate[],
  trusted: readonly X509Certificate[],
  now: Date,
): boolean {
  const walk = (current: X509Certificate, depth: number): boolean => {
    const { notBefore, notAfter } = validity(current);
    if (now < notBefore || now > notAfter) return false;
    if (isSelfSigned(current)) return trusted.some((anchor) => sameCertificate(anchor, current));
    if (depth >= MAX_DEPTH) return false;
    return [...trusted, ...untrusted].some((candidate) => candidate.ca && issues(candidate, current) && walk(candidate, depth + 1));
  };
  return walk(signer, 0);
}

/** What {@link checkOcspResponse} needs besides the response itself. */
export interface OcspCheckInput {
  /** DER OCSPResponse as received (HTTP body or stapled). */
  readonly der: Buffer;
  /** The certificate asked about and its issuer (from the verified chain). */
  readonly certificate: X509Certificate;
  readonly issuer: X509Certificate;
  /** Trust anchors for a delegated responder's chain and for TRUSTOTHER (the CA store, plus the verified peer chain). */
  readonly trusted: readonly X509Certificate[];
  /** The nonce sent, which the response must echo; undefined when none was sent. */
  readonly nonce?: Buffer | undefined;
  readonly flags?: OcspFlags | undefined;
  readonly now?: Date | undefined;
}

/**
 * Verifies a DER OCSP response about one certificate (RFC 6960 §3.2, with
 * OpenSSL's OCSP_basic_verify semantics and stunnel's 60 s leeway): status
 * successful, basic type, nonce echoed, signature by the issuer itself or by
 * a delegated responder issued by it with id-kp-OCSPSigning, thisUpdate not
 * in the future, nextUpdate not in the past, a SingleResponse for this CertID.
 * Pure: no I/O.
 *
 * @throws PeerCheckError `ERR_TUNNEL_VERIFY_OCSP_INVALID` on any defect.
 */
export function checkOcspResponse(input: OcspCheckInput): OcspStatus {
  const flags = input.flags ?? defaultOcspFlags;
  const now = input.now ?? new Date();
  const basic = decodeBasic(input.der);
  const data = basic.tbsResponseData;

  if (input.nonce !== undefined) {
    // stunnel: OCSP_check_nonce must be > 0, so a response without the nonce is rejected too.
    const echoed = data.responseExtensions?.find((extension) => extension.extnID === ID_PKIX_OCSP_NONCE);
    const expected = Buffer.from(new asn1js.OctetString({ valueHex: new Uint8Array(input.nonce) }).toBER(false));
    if (echoed === undefined) throw invalid('nonce missing');
    if (!Buffer.from(echoed.extnValue.valueBlock.valueHexView).equals(expected)) throw invalid('nonce mismatch');
  }

  const embedded: X509Certificate[] = [];
  for (const certificate of basic.certs ?? []) {
    try {
      embedded.push(new X509Certificate(Buffer.from(certificate.toSchema().toBER(false))));
    } catch (cause) {
      throw invalid('bad certificate inside the response', cause);
    }
  }
  const candidates = [...(flags.noIntern ? [] : embedded), input.issuer, ...input.trusted];
  const named = candidates.filter((candidate) => matchesResponderId(candidate, data.responderID));
  if (named.length === 0) throw invalid('signer certificate not found');
  // Several certificates may carry the responder's name; the signer is the one whose key verifies.
  const tbs = Buffer.from(data.tbsView);
  const signature = Buffer.from(basic.signature.valueBlock.valueHexView);
  const algorithm = basic.signatureAlgorithm.algorithmId;
  // A certificate carried in the response sits outside the signed data: a hostile responder may add one whose key
  // does not even decode. Such a candidate is simply not the signer.
  const verifiesWith = (candidate: X509Certificate): boolean => {
    try {
      return verifySignature(tbs, algorithm, signature, candidate.publicKey);
    } catch {
      return false;
    }
  };
  const signer = flags.noSigs ? named[0] : named.find(verifiesWith);
  if (signer === undefined) throw invalid('signature failure');

  const trustedSigner = flags.trustOther && input.trusted.some((candidate) => sameCertificate(candidate, signer));
  if (!flags.noVerify && !trustedSigner) {
    const isIssuer = sameCertificate(signer, input.issuer);
    if (!isIssuer && !chainsToTrusted(signer, flags.noChain ? [] : embedded, [...input.trusted, input.issuer], now)) {
      throw invalid('signer certificate does not verify');
    }
    if (!flags.noChecks) {
      const caSigned = isIssuer && !flags.noCaSign;
      // RFC 6960 §4.2.2.2: a delegated responder is issued directly by the CA and carries id-kp-OCSPSigning.
      const delegated =
        !isIssuer && !flags.noDelegated && issues(input.issuer, signer) && (signer.keyUsage ?? []).includes(ID_KP_OCSP_SIGNING);
      if (!caSigned && !delegated) throw invalid('signer is not authorised for this certificate');
    }
  }

  const single = data.responses.find((response) => {
    try {
      return response.certID.isEqual(certId(input.certificate, input.issuer, response.certID.hashAlgorithm.algorithmId));
    } catch {
      return false;
    }
  });
  if (single === undefined) throw invalid('no status for this certificate');
  if (single.thisUpdate.getTime() > now.getTime() + LEEWAY_MS) throw invalid('status not yet valid (thisUpdate in the future)');
  if (single.nextUpdate !== undefined && single.nextUpdate.getTime() < now.getTime() - LEEWAY_MS) {
    throw invalid('status expired (nextUpdate in the past)');
  }
  // CertStatus ::= CHOICE { good [0], revoked [1], unknown [2] }
  const tag = (single.certStatus as { idBlock?: { tagNumber?: number } }).idBlock?.tagNumber;
  if (tag === 0) return { status: 'good', thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
  if (tag === 1)
    return { status: 'revoked', thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate, revokedAt: revocationTime(single) };
  if (tag === 2) return { status: 'unknown', thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
  throw invalid('unrecognised certStatus');
}

function revocationTime(single: pkijs.SingleResponse): Date | undefined {
  const status = single.certStatus as { valueBlock?: { value?: Array<{ toDate?: () => Date }> } };
  const first = status.valueBlock?.value?.[0];
  return typeof first?.toDate === 'function' ? first.toDate() : undefined;
}
