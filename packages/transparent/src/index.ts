/**
 * @tunnel/transparent — stunnel's `transparent = none | source | destination | both` for Linux:
 * the original destination of an iptables-redirected connection, and upstream connections that
 * leave from the client's own address. The system calls live in `@tunnel/os`.
 */
export { TransparentError, type TransparentErrorCode } from './errors.js';
export { type TransparentMode, transparentMode, usesSourceAddress, usesOriginalDestination } from './mode.js';
export { originalDestinationOf } from './original-destination.js';
export { connectAsClient, type ConnectAsClientOptions, connectUpstream, type ConnectUpstreamOptions } from './connect.js';
