export { makeContext, rejection, type TestContext, writeSlowly } from '@tunnel/protocol-testkit/binary-context';
