export { type Harness, startHarness } from '@tunnel/protocol-testkit';
