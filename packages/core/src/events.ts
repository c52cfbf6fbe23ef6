import { channel } from 'node:diagnostics_channel';

/** `diagnostics_channel` name published with a `ConnectionOpenEvent` when a connection is accepted. */
export const CHANNEL_CONNECTION_OPEN = 'tunnel:connection:open';
/** `diagnostics_channel` name published with a `ConnectionCloseEvent` when a connection ends. */
export const CHANNEL_CONNECTION_CLOSE = 'tunnel:connection:close';

export const openChannel = channel(CHANNEL_CONNECTION_OPEN);
export const closeChannel = channel(CHANNEL_CONNECTION_CLOSE);
