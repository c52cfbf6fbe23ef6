import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamChannel } from '../src/channel.js';

test(
  'readLine returns CRLF and LF lines and keeps bytes past the line',
  timed(async () => {
    const [a, b] = socketPair();
    const channel = new StreamChannel(b);
    a.write('220 hello\r\n250 next\nrest');
    assert.is(await channel.readLine(), '220 hello');
    assert.is(await channel.readLine(), '250 next');
    assert.is(channel.buffered, 4);
    assert.is(channel.takeBuffered().toString(), 'rest');
  }),
);

test(
  'readLine assembles a line split into single bytes',
  timed(async () => {
    const [a, b] = socketPair();
    const channel = new StreamChannel(b);
    const pending = channel.readLine();
    for (const byte of Buffer.from('EHLO x\r\n')) {
      a.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.is(await pending, 'EHLO x');
  }),
);

test(
  'readLine refuses a line longer than maxLength',
  timed(async () => {
    const [a, b] = socketPair();
    const channel = new StreamChannel(b);
    a.write(`${'x'.repeat(100)}\r\n`);
    try {
      await channel.readLine({ maxLength: 10 });
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_LINE_TOO_LONG');
    }
  }),
);

test(
  'readLine fails with ERR_TUNNEL_PEER_CLOSED when the peer ends mid-line',
  timed(async () => {
    const [a, b] = socketPair();
    const channel = new StreamChannel(b);
    a.end('partial');
    try {
      await channel.readLine();
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_PEER_CLOSED');
    }
  }),
);

test(
  'readBytes returns exactly the bytes asked for',
  timed(async () => {
    const [a, b] = socketPair();
    const channel = new StreamChannel(b);
    a.write(Buffer.from([0, 0, 0, 8]));
    a.write(Buffer.from([4, 210, 22, 47, 1, 2]));
    assert.equal([...(await channel.readBytes(8))], [0, 0, 0, 8, 4, 210, 22, 47]);
    assert.is(channel.buffered, 2);
  }),
);

test(
  'an aborted signal ends a pending read',
  timed(async () => {
    const [, b] = socketPair();
    const controller = new AbortController();
    const channel = new StreamChannel(b, { signal: controller.signal });
    const pending = channel.readLine();
    controller.abort(new Error('TIMEOUTbusy'));
    try {
      await pending;
      assert.unreachable();
    } catch (error) {
      assert.is((error as Error).message, 'TIMEOUTbusy');
    }
  }),
);

test(
  'writeLine appends CRLF',
  timed(async () => {
    const [a, b] = socketPair();
    const channel = new StreamChannel(a);
    await channel.writeLine('STARTTLS');
    const reader = new StreamChannel(b);
    assert.equal((await reader.readBytes(10)).toString(), 'STARTTLS\r\n');
  }),
);

test.run();
