export {
  PROTOCOL_CONTRACT_VERSION,
  type Mode,
  type Target,
  type ProtocolOptions,
  type ProtocolLogger,
  type Channel,
  type ProtocolContext,
  type TlsInfo,
  type ProtocolHook,
  type Protocol,
} from './protocol.js';
export const name = '@tunnel/core';
