import { createHash, type X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type * as pkijs from 'pkijs';
import { asPkijs } from './certificate.js';
import { PeerCheckError, VerifyCodes, VerifyConfigError } from './errors.js';

/** What an identity rule looks at in the peer certificate. */
export type AclKind = 'CN' | 'OU' | 'DNS' | 'URI' | 'IP' | 'email' | 'SPKI';

/** One `allowPeer` / `denyPeer` rule, `KIND:VALUE`. */
export interface AclRule {
  readonly kind: AclKind;
  readonly value: string;
  /** The rule as written, for log lines. */
  readonly text: string;
}

/** The identity ACL of a service: deny wins; with any allow rule, one must match. */
export interface IdentityAcl {
  readonly allow: readonly AclRule[];
  readonly deny: readonly AclRule[];
}

const KINDS: readonly AclKind[] = ['CN', 'OU', 'DNS', 'URI', 'IP', 'email', 'SPKI'];
/** Rules per list; a configuration is trusted input, but a bound keeps a mistake from costing every handshake. */
const MAX_RULES = 1000;

// X.520 attribute types (RFC 5280 Appendix A).
const OID_CN = '2.5.4.3';
const OID_OU = '2.5.4.11';
const OID_EMAIL = '1.2.840.113549.1.9.1';
const OID_SAN = '2.5.29.17';

/** Canonical text of an IP address (so `::1` and `0:0:0:0:0:0:0:1` compare equal). */
function canonicalIp(address: string): string {
  if (isIP(address) === 6) return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  return address;
}

/**
 * Reads `KIND:VALUE` (kind case-insensitive). `SPKI` takes the base64 SHA-256
 * of the DER SubjectPublicKeyInfo, as HPKP pins and
 * `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64` write it.
 *
 * @throws VerifyConfigError `ERR_TUNNEL_VERIFY_OPTION` naming `option`.
 */
export function parseAclRule(text: string, option = 'allowPeer'): AclRule {
  const colon = text.indexOf(':');
  const kindText = colon === -1 ? '' : text.slice(0, colon).trim();
  const value = colon === -1 ? '' : text.slice(colon + 1).trim();
  const kind = KINDS.find((candidate) => candidate.toLowerCase() === kindText.toLowerCase());
  const fail = (why: string): never => {
    throw new VerifyConfigError(VerifyCodes.OPTION, `${option}: ${JSON.stringify(text)}: ${why}`, { option });
  };
  if (kind === undefined) fail(`expected KIND:VALUE with KIND one of ${KINDS.join(', ')}`);
  if (value === '') fail('the value is empty');
  if (kind === 'IP' && isIP(value) === 0) fail(`${value} is not an IP address`);
  if (kind === 'SPKI' && !/^[A-Za-z0-9+/]{43}=$/.test(value))
    fail('expected the base64 SHA-256 of the SubjectPublicKeyInfo (44 characters)');
  return { kind: kind as AclKind, value: kind === 'IP' ? canonicalIp(value) : value, text: `${kind}:${value}` };
}

/** Builds the ACL from the option lists; refuses malformed rules. */
export function parseIdentityAcl(allow: readonly string[], deny: readonly string[]): IdentityAcl {
  for (const [option, list] of [
    ['allowPeer', allow],
    ['denyPeer', deny],
  ] as const) {
    if (list.length > MAX_RULES) {
      throw new VerifyConfigError(VerifyCodes.OPTION, `${option}: more than ${MAX_RULES} rules`, { option });
    }
  }
  return { allow: allow.map((rule) => parseAclRule(rule, 'allowPeer')), deny: deny.map((rule) => parseAclRule(rule, 'denyPeer')) };
}

/** The names of a certificate an ACL can look at, read from the DER (never from Node's escaped text). */
interface Identity {
  readonly CN: string[];
  readonly OU: string[];
  readonly DNS: string[];
  readonly URI: string[];
  readonly IP: string[];
  readonly email: string[];
  readonly SPKI: string[];
}

function attribute(value: pkijs.AttributeTypeAndValue): string {
  return String(value.value.valueBlock.value);
}

function ipText(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicalIp(groups.join(':'));
}

/** Reads the subject CN/OU/emailAddress, the subjectAltName entries and the SPKI pin of a certificate. */
export function certificateIdentity(certificate: X509Certificate): Identity {
  const view = asPkijs(certificate);
  const identity: Identity = { CN: [], OU: [], DNS: [], URI: [], IP: [], email: [], SPKI: [] };
  for (const entry of view.subject.typesAndValues) {
    if (entry.type === OID_CN) identity.CN.push(attribute(entry));
    else if (entry.type === OID_OU) identity.OU.push(attribute(entry));
    else if (entry.type === OID_EMAIL) identity.email.push(attribute(entry));
  }
  const san = view.extensions?.find((extension) => extension.extnID === OID_SAN)?.parsedValue as pkijs.AltName | undefined;
  for (const name of (san as { altNames?: pkijs.GeneralName[] } | undefined)?.altNames ?? []) {
    // GeneralName choices (RFC 5280 §4.2.1.6): 1 rfc822Name, 2 dNSName, 6 URI, 7 iPAddress.
    if (name.type === 1) identity.email.push(String(name.value));
    else if (name.type === 2) identity.DNS.push(String(name.value));
    else if (name.type === 6) identity.URI.push(String(name.value));
    else if (name.type === 7) {
      const ip = ipText(new Uint8Array((name.value as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView));
      if (ip !== undefined) identity.IP.push(ip);
    }
  }
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  identity.SPKI.push(createHash('sha256').update(spki).digest('base64'));
  return identity;
}

function matches(rule: AclRule, identity: Identity): boolean {
  const values = identity[rule.kind];
  // Host names and mail addresses compare case-insensitively (RFC 4343, RFC 5321 domain part); the rest exactly.
  if (rule.kind === 'DNS' || rule.kind === 'email') return values.some((value) => value.toLowerCase() === rule.value.toLowerCase());
  if (rule.kind === 'IP') return values.some((value) => canonicalIp(value) === rule.value);
  return values.includes(rule.value);
}

/**
 * Applies an identity ACL to the verified peer certificate: the first deny
 * rule that matches refuses; then, when allow rules exist, one must match.
 *
 * @throws PeerCheckError `ERR_TUNNEL_VERIFY_ACL_DENIED` (`deny CN:mallory matched`), `ERR_TUNNEL_VERIFY_ACL_NOT_ALLOWED`.
 */
export function checkAcl(leaf: X509Certificate, acl: IdentityAcl): void {
  if (acl.allow.length === 0 && acl.deny.length === 0) return;
  const identity = certificateIdentity(leaf);
  const denied = acl.deny.find((rule) => matches(rule, identity));
  if (denied !== undefined) throw new PeerCheckError(VerifyCodes.ACL_DENIED, `deny ${denied.text} matched`, { depth: 0 });
  if (acl.allow.length > 0 && !acl.allow.some((rule) => matches(rule, identity))) {
    const shown = acl.allow
      .slice(0, 5)
      .map((rule) => rule.text)
      .join(', ');
    throw new PeerCheckError(VerifyCodes.ACL_NOT_ALLOWED, `no allow rule matched (allow ${shown}${acl.allow.length > 5 ? ', ...' : ''})`, {
      depth: 0,
    });
  }
}
