export { protocol, validateOptions } from './protocol.js';
export { startTlsClient, type StartTlsClientOptions } from './client.js';
export { startTlsServer, type StartTlsServerOptions } from './server.js';
export { isOkGreeting, isUntagged, isTaggedOk, splitTag, disableGreetingCapability } from './lines.js';
export { clientSpeaksFirst } from './detect.js';
export type { Io } from './channel.js';
export { ImapError, type ImapErrorCode, type ImapErrorDetails } from './errors.js';
