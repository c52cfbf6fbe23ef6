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
export { StreamChannel } from './channel.js';
export { ProtocolError, type ProtocolErrorDetails } from './errors.js';
export { borrowChannel, type BorrowedChannel, type ChannelOrStream } from './borrow.js';
