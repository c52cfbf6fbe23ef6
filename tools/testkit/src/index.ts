/**
 * Private test kit shared by every package's tests: time bounds, loopback
 * listeners on port 0, child processes of real peers, and a throw-away PKI.
 * Tests import it as TypeScript through tsx; it is never published.
 */
export { withTimeout, timed } from './timeout.js';
export { listen, echoServer, type EchoServer, connectTcp, readAll } from './net.js';
export { startProcess, type RunningProcess, run, which } from './process.js';
export { makePki, type Pki, type PkiOptions } from './pki.js';
export { tempDir } from './temp.js';
export { sha256, randomPayload } from './data.js';
export { socketPair } from './socket-pair.js';
export { type Dovecot, freePort, startDovecot, waitForPort } from './dovecot.js';
