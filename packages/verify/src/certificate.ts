import { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

const parsed = new WeakMap<X509Certificate, pkijs.Certificate>();

/** The pkijs view of a certificate (for its raw Name and key fields), parsed once per certificate. */
export function asPkijs(certificate: X509Certificate): pkijs.Certificate {
  let view = parsed.get(certificate);
  if (view === undefined) {
    const asn = asn1js.fromBER(new Uint8Array(certificate.raw));
    view = new pkijs.Certificate({ schema: asn.result });
    parsed.set(certificate, view);
  }
  return view;
}

/** Accepts a certificate as X509Certificate, DER or PEM. */
export function toX509(value: X509Certificate | Buffer | string): X509Certificate {
  return value instanceof X509Certificate ? value : new X509Certificate(value);
}

/** Whether two certificates are the same certificate (byte-identical DER). */
export function sameCertificate(a: X509Certificate, b: X509Certificate): boolean {
  return a.raw.equals(b.raw);
}

/** Whether `certificate` is self-issued and self-signed, i.e. a root. */
export function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.checkIssued(certificate) && certificate.verify(certificate.publicKey);
}

/** Validity window as dates (X509Certificate gives strings on Node 20). */
export function validity(certificate: X509Certificate): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(certificate.validFrom), notAfter: new Date(certificate.validTo) };
}

/** The subject as one line, `CN=a, O=b`, for logs and the verdict. */
export function subjectLine(certificate: X509Certificate): string {
  return certificate.subject.split('\n').join(', ');
}

/** OCSP responder URLs from the Authority Information Access extension (RFC 5280 §4.2.2.1). */
export function ocspUrls(certificate: X509Certificate): string[] {
  const info = certificate.infoAccess;
  if (info === undefined) return [];
  const urls: string[] = [];
  for (const line of info.split('\n')) {
    const match = /^OCSP - URI:(.+)$/.exec(line.trim());
    const raw = match?.[1]?.trim();
    if (raw === undefined) continue;
    // Node JSON-quotes values holding unusual characters (CVE-2021-44532 fix).
    if (raw.startsWith('"')) {
      try {
        urls.push(String(JSON.parse(raw)));
      } catch {
        // a malformed quoted value is skipped, never trusted
      }
    } else {
      urls.push(raw);
    }
  }
  return urls;
}
