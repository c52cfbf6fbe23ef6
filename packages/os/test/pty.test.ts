import { spawn } from 'node:child_process';
import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeFd, openPty, ptyStream } from '../src/index.js';

/** Runs `script` under sh with the pty slave as stdin/stdout/stderr, writes `input`, and collects what comes out of the master. */
async function runOnPty(script: string, input: string): Promise<{ path: string; output: string; code: number | null }> {
  const pty = openPty();
  const child = spawn('/bin/sh', ['-c', script], { stdio: [pty.slave, pty.slave, pty.slave] });
  closeFd(pty.slave);
  const stream = ptyStream(pty.master);
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ended = new Promise<void>((resolve) => stream.once('end', () => resolve()));
  stream.write(input);
  const [code] = await Promise.all([exited, ended]);
  stream.destroy();
  return { path: pty.path, output: Buffer.concat(chunks).toString('latin1'), code };
}

test(
  'a program on the pty slave sees a terminal: tty prints the /dev/pts path openPty reported',
  timed(async () => {
    const { path, output, code } = await runOnPty('tty', '');
    assert.match(path, /^\/dev\/pts\/\d+$/);
    assert.is(code, 0);
    assert.is(output.trim(), path);
  }, 10_000),
);

test(
  'bytes written to the master reach the program and its output comes back; the master ends when the program exits',
  timed(async () => {
    // The terminal keeps the kernel defaults as stunnel does: the line is echoed and output newlines become CR LF.
    const { output, code } = await runOnPty('read line; echo "got:$line"', 'hello\n');
    assert.is(code, 0);
    assert.is(output, 'hello\r\ngot:hello\r\n');
  }, 10_000),
);

test('every openPty gives a distinct slave, and closing the fds lets the numbers be reused', () => {
  const a = openPty();
  const b = openPty();
  assert.is.not(a.path, b.path);
  for (const fd of [a.master, a.slave, b.master, b.slave]) closeFd(fd);
});

test.run();
