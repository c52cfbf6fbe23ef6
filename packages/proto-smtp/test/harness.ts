export { type Harness, startHarness } from '@tunnel/testkit';
