import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { borrowChannel, StreamChannel } from '../src/index.js';

const injection = (bytes: number) => Object.assign(new Error(`${bytes} bytes injected`), { code: 'ERR_TEST_INJECTION' });

test(
  'a Duplex is wrapped, and unread bytes go back onto the stream when the dialogue ends',
  timed(async () => {
    const [a, b] = socketPair();
    const borrowed = borrowChannel(b, { injection });
    a.write('OK\r\nrest');
    assert.is(await borrowed.channel.readLine(), 'OK');
    borrowed.release(false);
    assert.is((b.read() as Buffer).toString(), 'rest');
  }),
);

test(
  'unread bytes on a stream about to start TLS are refused as injection',
  timed(async () => {
    const [a, b] = socketPair();
    const borrowed = borrowChannel(b, { injection });
    a.write('220 go ahead\r\nEVIL');
    await borrowed.channel.readLine();
    assert.throws(() => borrowed.release(true), /4 bytes injected/);
  }),
);

test(
  'a Channel passed in is used as it is and keeps its leftovers for core',
  timed(async () => {
    const [a, b] = socketPair();
    const channel = new StreamChannel(b);
    const borrowed = borrowChannel(channel, { injection });
    assert.is(borrowed.channel, channel);
    a.write('x\r\ny');
    await channel.readLine();
    borrowed.release(true);
    assert.is(channel.buffered, 1);
  }),
);

test.run();
