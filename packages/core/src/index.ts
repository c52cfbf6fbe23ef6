export { formatLogRecord, createStreamLogger, LOG_LEVEL_NAMES } from './log.js';
export { CHANNEL_CONNECTION_OPEN, CHANNEL_CONNECTION_CLOSE } from './events.js';
export { DEFAULT_TIMEOUTS } from './defaults.js';
export { TunnelError, type TunnelErrorCode, type TunnelErrorDetails } from './errors.js';
export type {
  AcceptAddress,
  ConnectTarget,
  LogLevel,
  LogRecord,
  Logger,
  SslVersion,
  Timeouts,
  PeerVerdict,
  PeerVerifier,
  TlsServiceOptions,
  UpstreamOptions,
  SniService,
  SniSlaveOptions,
  LogIdType,
  ServiceOptions,
  TunnelOptions,
  CloseOptions,
  ConnectionOpenEvent,
  ConnectionCloseEvent,
  TunnelEvents,
  Tunnel,
  ServeConnectionOptions,
} from './types.js';
