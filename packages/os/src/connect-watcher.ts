import { POLLERR, POLLHUP, POLLIN, POLLOUT } from './constants.js';
import { syscallError } from './errors.js';
import { type Libc, libc } from './libc.js';

/**
 * Waits for non-blocking connect(2)s to finish. Node cannot watch a raw descriptor, so ONE koffi
 * worker thread runs poll(2) over every pending descriptor at once, plus the read end of a wake-up
 * pipe: adding or cancelling a wait writes a byte to the pipe so the poll restarts with the new set
 * immediately. One thread serves any number of concurrent connects, and nothing polls on a timer.
 */

interface Waiter {
  readonly fd: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const waiters = new Map<number, Waiter>();
let pipe: { read: number; write: number } | undefined;
let running = false;
const wakeByte = Buffer.from([1]);
const drain = Buffer.alloc(64);

function wakePipe(c: Libc): { read: number; write: number } {
  if (pipe === undefined) {
    const fds = new Int32Array(2);
    if (c.pipe2(fds, c.nonblockCloexec) !== 0) throw syscallError('pipe2', c.errno(), 'creating the connect wake-up pipe');
    pipe = { read: fds[0] as number, write: fds[1] as number };
  }
  return pipe;
}

function wake(c: Libc): void {
  if (pipe !== undefined && running) c.write(pipe.write, wakeByte, 1);
}

async function loop(c: Libc, wakeRead: number): Promise<void> {
  running = true;
  try {
    while (waiters.size > 0) {
      const snapshot = [...waiters.values()];
      // struct pollfd { int fd; short events; short revents; } — slot 0 is the wake-up pipe.
      const fds = Buffer.alloc(8 * (snapshot.length + 1));
      fds.writeInt32LE(wakeRead, 0);
      fds.writeInt16LE(POLLIN, 4);
      snapshot.forEach((waiter, index) => {
        fds.writeInt32LE(waiter.fd, 8 * (index + 1));
        fds.writeInt16LE(POLLOUT, 8 * (index + 1) + 4);
      });
      // The 1 s cap only bounds the damage of a lost wake-up; timeouts and aborts are handled by the callers.
      await c.pollAsync(fds, snapshot.length + 1, 1000);
      if (fds.readInt16LE(6) !== 0) {
        let count = c.read(wakeRead, drain, drain.length);
        while (count > 0) count = c.read(wakeRead, drain, drain.length);
      }
      snapshot.forEach((waiter, index) => {
        const revents = fds.readInt16LE(8 * (index + 1) + 6);
        // Identity check: a cancelled descriptor number may already belong to a newer wait.
        if ((revents & (POLLOUT | POLLERR | POLLHUP)) !== 0 && waiters.get(waiter.fd) === waiter) {
          waiters.delete(waiter.fd);
          waiter.resolve();
        }
      });
    }
  } catch (error) {
    // poll itself failed (should not happen): fail every wait rather than leave it to its timeout.
    for (const waiter of waiters.values()) waiter.reject(error);
    waiters.clear();
  } finally {
    running = false;
  }
}

/** Resolves when `fd` (connecting, non-blocking) is writable or failed; `cancel()` stops waiting before the caller closes it. */
export function watchConnect(fd: number): { readonly done: Promise<void>; cancel(): void } {
  const c = libc('connecting a socket');
  const { read } = wakePipe(c);
  let waiter: Waiter | undefined;
  const done = new Promise<void>((resolve, reject) => {
    waiter = { fd, resolve, reject };
  });
  waiters.set(fd, waiter as Waiter);
  if (running) wake(c);
  else void loop(c, read);
  return {
    done,
    cancel: () => {
      if (waiters.get(fd) === waiter) {
        waiters.delete(fd);
        wake(c);
      }
    },
  };
}
