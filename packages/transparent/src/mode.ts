import { TransparentError } from './errors.js';

/** `transparent = none | source | destination | both` (legacy `yes`/`no` are mapped by the config parser). */
export type TransparentMode = 'none' | 'source' | 'destination' | 'both';

const modes: readonly TransparentMode[] = ['none', 'source', 'destination', 'both'];

/** Validates a mode value; anything else is `ERR_TUNNEL_TRANSPARENT_BAD_MODE`. */
export function transparentMode(value: string): TransparentMode {
  if ((modes as readonly string[]).includes(value)) return value as TransparentMode;
  throw new TransparentError(
    'ERR_TUNNEL_TRANSPARENT_BAD_MODE',
    `transparent = ${JSON.stringify(value)}: expected one of ${modes.join(', ')}`,
  );
}

/** True when the upstream connection must leave from the client's address (`source`, `both`). */
export function usesSourceAddress(mode: TransparentMode): boolean {
  return mode === 'source' || mode === 'both';
}

/** True when the original destination replaces `connect` (`destination`, `both`). */
export function usesOriginalDestination(mode: TransparentMode): boolean {
  return mode === 'destination' || mode === 'both';
}
