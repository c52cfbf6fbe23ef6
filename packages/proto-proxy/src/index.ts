export { protocol, proxyReceive, proxyVersion, proxyTlv, tlsTlvsOf, PROXY_HEADER_STATE } from './protocol.js';
export { sendProxyHeader, readProxyHeader, type SendProxyHeaderOptions } from './io.js';
export { encodeProxyHeaderV1, encodeProxyHeaderV2, V2_SIGNATURE, type ProxyAddresses } from './encode.js';
export { parseProxyHeader, V1_MAX_LENGTH, V2_MAX_BODY, type ParseResult } from './parse.js';
export type { ProxyHeader, ProxyEndpoint } from './types.js';
export { proxyError, type ProxyErrorCode } from './errors.js';
export {
  encodeTlsTlvs,
  decodeTlsTlvs,
  serializeTlvs,
  PP2_TYPE,
  PP2_SUBTYPE_SSL,
  PP2_CLIENT,
  type ProxyTlv,
  type ProxyTlsTlvs,
} from './tlv.js';
