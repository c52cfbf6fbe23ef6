export { collector, makeContext, script, type TestContext, writeChunked } from '@tunnel/protocol-testkit/mail-context';
