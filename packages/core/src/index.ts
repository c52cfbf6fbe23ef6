export { createTunnel } from './tunnel.js';
export { serveConnection } from './serve-connection.js';
export { runExecConnect, RETRY_MIN_MS, type ExecConnectOptions } from './exec-connect.js';
export { startProgram, programEnvironment, type ProgramContext, type ProgramPeer } from './exec.js';
export { createDemoCertificate, type DemoCertificate } from './demo-certificate.js';
export { startEchoServer, type EchoBackend } from './echo.js';
export { formatLogRecord, createStreamLogger, LOG_LEVEL_NAMES } from './log.js';
export { CHANNEL_CONNECTION_OPEN, CHANNEL_CONNECTION_CLOSE, CHANNEL_TLS_HANDSHAKE, CHANNEL_TLS_FAILURE } from './events.js';
export { DEFAULT_TIMEOUTS } from './defaults.js';
export { PSK_DEFAULT_CIPHERS } from './tls-options.js';
export { SESSION_STORE_TIMEOUT_MS, CLIENT_SESSIONS_PER_SERVICE } from './tls-handshake.js';
export { RateLimiter, RATE_LIMIT_ADDRESSES, type Refusal } from './admission.js';
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
  SessionStore,
  UpstreamOptions,
  ExecOptions,
  PtyAllocator,
  AlpnRoute,
  SniService,
  SniSlaveOptions,
  LogIdType,
  ServiceOptions,
  ConnectionHooks,
  TunnelOptions,
  CloseOptions,
  ConnectionOpenEvent,
  ConnectionCloseEvent,
  TlsHandshakeEvent,
  HandshakeFailureEvent,
  ActiveConnection,
  ConnectionRefusedEvent,
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
