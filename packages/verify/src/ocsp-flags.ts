import { VerifyCodes, VerifyConfigError } from './errors.js';

/**
 * OpenSSL's OCSP_basic_verify flags as stunnel's `OCSPflag` names them, and
 * what each means for this verifier (see README "OCSPflag"). Flags that only
 * matter to a responder or to a signed request (NOCERTS, RESPID_KEY, NOTIME)
 * have no effect on response verification in OpenSSL either, so they are
 * accepted with no effect rather than refused.
 */
export interface OcspFlags {
  /** Do not look for the signer among the certificates inside the response. */
  readonly noIntern: boolean;
  /** Do not check the response signature at all. */
  readonly noSigs: boolean;
  /** Do not use the response's certificates to build the signer's chain. */
  readonly noChain: boolean;
  /** Do not verify the signer certificate (chain and authority); the signature is still checked. */
  readonly noVerify: boolean;
  /** Do not accept the certificate's issuer itself as the signer. */
  readonly noCaSign: boolean;
  /** Do not accept a delegated responder (id-kp-OCSPSigning certificate issued by the CA). */
  readonly noDelegated: boolean;
  /** Verify the signer's chain but not its authority for this certificate. */
  readonly noChecks: boolean;
  /** Trust a signer found in the verified peer chain or in the CA store without further checks. */
  readonly trustOther: boolean;
}

const NAMES = [
  'NOCERTS',
  'NOINTERN',
  'NOSIGS',
  'NOCHAIN',
  'NOVERIFY',
  'NOEXPLICIT',
  'NOCASIGN',
  'NODELEGATED',
  'NOCHECKS',
  'TRUSTOTHER',
  'RESPID_KEY',
  'NOTIME',
] as const;

/** No flag set: full verification. */
export const defaultOcspFlags: OcspFlags = {
  noIntern: false,
  noSigs: false,
  noChain: false,
  noVerify: false,
  noCaSign: false,
  noDelegated: false,
  noChecks: false,
  trustOther: false,
};

/**
 * Parses stunnel `OCSPflag` values (case-insensitive, as stunnel compares them).
 *
 * @throws VerifyConfigError `ERR_TUNNEL_VERIFY_OPTION` naming the unknown flag.
 */
export function parseOcspFlags(names: readonly string[]): OcspFlags {
  const set = new Set<string>();
  for (const raw of names) {
    const name = raw.trim().toUpperCase();
    if (!(NAMES as readonly string[]).includes(name)) {
      throw new VerifyConfigError(VerifyCodes.OPTION, `OCSPflag ${raw}: unknown flag (known: ${NAMES.join(', ')})`, { option: 'OCSPflag' });
    }
    set.add(name);
  }
  return {
    noIntern: set.has('NOINTERN'),
    noSigs: set.has('NOSIGS'),
    noChain: set.has('NOCHAIN'),
    noVerify: set.has('NOVERIFY'),
    noCaSign: set.has('NOCASIGN'),
    noDelegated: set.has('NODELEGATED'),
    noChecks: set.has('NOCHECKS'),
    trustOther: set.has('TRUSTOTHER'),
  };
}
