export { ConfigError, ConfigIssue, type ConfigIssueCode, type ConfigIssueInit } from './errors.js';
export { diskReaders, loadConfig, type LoadOptions } from './load.js';
export { describeOptions, findOption, optionRegistry, type OptionScope, type OptionSpec, type OptionValueContext } from './options.js';
export { parseConfig, parseLimits, type ParseOptions } from './parse.js';
export { defaultServicePorts, parseServicesFile } from './service-ports.js';
export type {
  Address,
  CompressionMethod,
  Config,
  DebugLevel,
  FailoverPolicy,
  ForegroundMode,
  GlobalOptions,
  Location,
  LogIdType,
  LogMode,
  ServiceConfig,
  SniConfig,
  SocketOption,
  SocketSide,
  SslVersion,
  TransparentMode,
  VerifyLevel,
} from './types.js';
