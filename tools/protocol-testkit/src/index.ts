/**
 * Private test helpers for protocol packages (kept apart from @tunnel/testkit, which @tunnel/protocol's own tests
 * use, so the workspace has no dependency cycle).
 */
export { type Harness, startHarness } from './protocol-harness.js';
export { chunk, type FuzzFigures, hostilePeer, mutated } from './fuzz.js';
