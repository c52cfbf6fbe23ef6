/**
 * @tunnel/verify — peer-certificate policy for TLS tunnels: stunnel's verify
 * levels, CA and CRL stores, checkHost/checkEmail/checkIP, OCSP and stapling.
 */
export { createPeerVerifier, peerChain, type PeerVerifier, type PeerVerifierOptions } from './verifier.js';
export { checkPeer, type PeerPolicy, type PeerVerdict, type VerifyLevel, type OcspPolicy } from './check-peer.js';
export { loadTrustStore, type TrustStore, type TrustStoreOptions } from './store.js';
export { queryOcsp, type QueryOcspOptions, type OcspAnswer, DEFAULT_OCSP_TIMEOUT_MS } from './ocsp-query.js';
export { checkOcspResponse, buildOcspRequest, type OcspCheckInput, type OcspStatus, type BuiltOcspRequest } from './ocsp-message.js';
export { parseOcspFlags, defaultOcspFlags, type OcspFlags } from './ocsp-flags.js';
export { createStapler, type StaplerOptions } from './stapler.js';
export { parseCrl, type Crl } from './crl.js';
export { VerifyCodes, type VerifyCode, VerifyConfigError, PeerCheckError } from './errors.js';
export { parseAclRule, parseIdentityAcl, checkAcl, certificateIdentity, type AclKind, type AclRule, type IdentityAcl } from './acl.js';
