export { main, describeFailure, type MainIo } from './main.js';
export { parseArguments, defaultConfigPath, type Command, type ConfigSource } from './args.js';
export { buildServices, type BuildEnvironment, type BuiltService } from './build-services.js';
export { resolveProtocol, pluginPackageName, checkPlugin, type ResolveOptions } from './resolve-protocol.js';
export { startDemo, type Demo } from './demo.js';
export { CliError } from './errors.js';
export { SetupError, type SetupIssue } from './setup-error.js';
