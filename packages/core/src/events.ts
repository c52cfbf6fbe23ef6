import { channel } from 'node:diagnostics_channel';

/** `diagnostics_channel` name published with a `ConnectionOpenEvent` when a connection is accepted. */
export const CHANNEL_CONNECTION_OPEN = 'tunnel:connection:open';
/** `diagnostics_channel` name published with a `ConnectionCloseEvent` when a connection ends. */
export const CHANNEL_CONNECTION_CLOSE = 'tunnel:connection:close';
/** `diagnostics_channel` name published with a `TlsHandshakeEvent` when a TLS handshake completes. */
export const CHANNEL_TLS_HANDSHAKE = 'tunnel:tls:handshake';
/** `diagnostics_channel` name published with a `HandshakeFailureEvent` when a handshake fails or the verifier rejects the peer. */
export const CHANNEL_TLS_FAILURE = 'tunnel:tls:failure';

export const openChannel = channel(CHANNEL_CONNECTION_OPEN);
export const closeChannel = channel(CHANNEL_CONNECTION_CLOSE);
export const tlsChannel = channel(CHANNEL_TLS_HANDSHAKE);
export const tlsFailureChannel = channel(CHANNEL_TLS_FAILURE);
