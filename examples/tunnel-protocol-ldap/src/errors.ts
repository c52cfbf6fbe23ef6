import { ProtocolError } from '@tunnel/protocol';

/** Every error code this package throws; each is listed in the README's Errors table. */
export type LdapErrorCode =
  | 'ERR_TUNNEL_LDAP_BAD_MESSAGE'
  | 'ERR_TUNNEL_LDAP_TOO_LONG'
  | 'ERR_TUNNEL_LDAP_STARTTLS_REFUSED'
  | 'ERR_TUNNEL_LDAP_NOT_STARTTLS';

/** Creates a `ProtocolError` (the class every tunnel protocol uses) with one of this package's codes. */
export function ldapError(code: LdapErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message, { stage: 'ldap' });
}
