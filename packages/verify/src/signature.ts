import { type KeyObject, verify } from 'node:crypto';

/**
 * Signature algorithms accepted on CRLs and OCSP responses, by OID (RFC 4055,
 * RFC 5758, RFC 8410). The hash is passed to node:crypto; `null` means the key
 * type fixes it (EdDSA). RSA-PSS is not listed: its parameters need decoding.
 */
const ALGORITHMS: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

/**
 * Verifies a DER-encoded X.509-style signature (ECDSA signatures are DER
 * `Ecdsa-Sig-Value`, which is node's default `dsaEncoding`). Returns false on
 * an unknown algorithm or a malformed signature rather than throwing.
 */
export function verifySignature(data: Buffer, algorithmOid: string, signature: Buffer, key: KeyObject): boolean {
  if (!(algorithmOid in ALGORITHMS)) return false;
  try {
    return verify(ALGORITHMS[algorithmOid] ?? null, data, key, signature);
  } catch {
    return false;
  }
}
