import { createServer } from 'node:net';
import { listen, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeFd, duplicateFdOf, getSocketOption, OsError, setSocketOption, socketFd } from '../src/index.js';

test(
  'duplicateFdOf copies a socket fd of a process: options set on the original read back from the copy',
  timed(async () => {
    const server = createServer();
    await listen(server);
    try {
      const fd = socketFd(server as unknown as { _handle?: unknown });
      setSocketOption(fd, 'SO_RCVBUF', 65536);
      const copy = duplicateFdOf(process.pid, fd);
      try {
        assert.is.not(copy, fd);
        assert.is(getSocketOption(copy, 'SO_RCVBUF'), getSocketOption(fd, 'SO_RCVBUF'));
        setSocketOption(copy, 'SO_KEEPALIVE', true);
        assert.is(getSocketOption(fd, 'SO_KEEPALIVE'), true);
      } finally {
        closeFd(copy);
      }
    } finally {
      server.close();
    }
  }, 5000),
);

test('duplicateFdOf of a fd that does not exist fails with ERR_TUNNEL_OS_EBADF', () => {
  try {
    duplicateFdOf(process.pid, 987654);
    assert.unreachable('should throw');
  } catch (error) {
    assert.instance(error, OsError);
    assert.is((error as OsError).code, 'ERR_TUNNEL_OS_EBADF');
  }
});

test.run();
