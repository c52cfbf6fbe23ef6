export type { SessionStore, SessionStoreEvent, SessionStoreListener } from './types.js';
export { SessionsError, type SessionsErrorCode } from './errors.js';
export { createLru, type Lru, type LruOptions } from './lru.js';
export {
  createMemorySessionStore,
  type MemorySessionStoreOptions,
  MAX_SESSION_ID_BYTES,
  MAX_SESSION_BYTES,
} from './memory-store.js';
export { deriveTicketKeys, type TicketSecrets } from './ticket-keys.js';
export {
  encodeCommand,
  parseReply,
  isErrorReply,
  DEFAULT_RESP_LIMITS,
  type RespValue,
  type RespErrorReply,
  type RespLimits,
} from './resp.js';
export { connectRedis, type RedisOptions, type RedisConnection } from './redis-client.js';
export { createRedisSessionStore, type RedisSessionStoreOptions } from './redis-store.js';
export {
  serveClusterSessions,
  clusterSessionStore,
  type ClusterServeOptions,
  type ClusterStoreOptions,
  MAX_CLUSTER_NAMESPACES,
} from './cluster.js';
export { CHANNEL_SESSIONS_STATUS } from './status-channel.js';
