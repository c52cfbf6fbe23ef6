export { protocol } from './protocol.js';
export { startTlsLdap, acceptStartTlsLdap } from './starttls.js';
export {
  encodeExtendedRequest,
  encodeExtendedResponse,
  parseExtendedRequest,
  parseExtendedResponse,
  STARTTLS_OID,
  MAX_MESSAGE,
  type ExtendedRequest,
  type ExtendedResponse,
  type ParseResult,
} from './ber.js';
export { ldapError, type LdapErrorCode } from './errors.js';
