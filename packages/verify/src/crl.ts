import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** A parsed certificate revocation list (RFC 5280 §5), reduced to what the chain check needs. */
export interface Crl {
  /** DER of the whole CRL. */
  readonly der: Buffer;
  /** The issuer Name, to be compared with a certificate's issuer. */
  readonly issuer: pkijs.RelativeDistinguishedNames;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Revoked serial numbers, normalised with {@link normalizeSerial}. */
  readonly revoked: ReadonlySet<string>;
  /** The signed part and signature, checked against the issuer's key by the chain check. */
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
}

/** Uppercase hex without leading zero bytes, the form used to compare serial numbers. */
export function normalizeSerial(hex: string): string {
  const upper = hex.toUpperCase().replace(/[^0-9A-F]/g, '');
  const trimmed = upper.replace(/^(00)+/, '');
  return trimmed === '' ? '00' : trimmed;
}

/** Parses one DER CRL with pkijs. Throws a plain Error on malformed input. */
export function parseCrl(der: Buffer): Crl {
  const asn = asn1js.fromBER(new Uint8Array(der));
  if (asn.offset === -1) throw new Error('CRL is not valid DER');
  const crl = new pkijs.CertificateRevocationList({ schema: asn.result });
  const revoked = new Set<string>();
  for (const entry of crl.revokedCertificates ?? []) {
    revoked.add(normalizeSerial(Buffer.from(entry.userCertificate.valueBlock.valueHexView).toString('hex')));
  }
  return {
    der,
    issuer: crl.issuer,
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value,
    revoked,
    tbs: Buffer.from(crl.tbsView),
    signatureAlgorithm: crl.signatureAlgorithm.algorithmId,
    signature: Buffer.from(crl.signatureValue.valueBlock.valueHexView),
  };
}
