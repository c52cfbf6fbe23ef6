import { channel } from 'node:diagnostics_channel';
import type { SessionStoreEvent, SessionStoreListener } from './types.js';

/** The diagnostics channel every store publishes its {@link SessionStoreEvent}s on. */
export const CHANNEL_SESSIONS_STATUS = 'tunnel:sessions:status';

const statusChannel = channel(CHANNEL_SESSIONS_STATUS);

/** Hands an event to the store's listener and to the channel; a throwing listener never reaches the handshake. */
export function report(listener: SessionStoreListener | undefined, event: SessionStoreEvent): void {
  try {
    listener?.(event);
  } catch {}
  if (statusChannel.hasSubscribers) statusChannel.publish(event);
}
