/**
 * `@tunnel/proto-proxy/receive`: the proxy-receive plugin under the name the CLI's plugin loader expects
 * (a module whose named `protocol` export is the plugin), so it can be loaded by path or mapped by name.
 */
export { proxyReceive as protocol } from './protocol.js';
