export { createTunnel } from './tunnel.js';
export { serveConnection } from './serve-connection.js';
export { createDemoCertificate, type DemoCertificate } from './demo-certificate.js';
export { startEchoServer, type EchoBackend } from './echo.js';
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
  ConnectionHooks,
  TunnelOptions,
  CloseOptions,
  ConnectionOpenEvent,
  ConnectionCloseEvent,
  TunnelEvents,
  Tunnel,
  ServeConnectionOptions,
} from './types.js';
export {
  PROTOCOL_CONTRACT_VERSION,
  type Mode,
  type Target,
  type ProtocolOptions,
  type ProtocolContext,
  type Protocol,
  type Channel,
  type TlsInfo,
} from '@tunnel/protocol';
