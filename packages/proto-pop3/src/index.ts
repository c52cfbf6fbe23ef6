export { protocol, validateOptions } from './protocol.js';
export { startTlsClient, type StartTlsClientOptions } from './client.js';
export { startTlsServer, type StartTlsServerOptions } from './server.js';
export { isOk, commandOf } from './response.js';
export type { Io } from './channel.js';
export { Pop3Error, type Pop3ErrorCode, type Pop3ErrorDetails } from './errors.js';
