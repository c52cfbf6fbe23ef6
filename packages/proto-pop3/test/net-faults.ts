import net from 'node:net';
import { listen } from '@tunnel/testkit';

/** One scripted step of a fault stand-in: wait for `expect` from the client (if any), then send `send`, then close if `close`. */
export interface Step {
  readonly expect?: string;
  readonly send?: string;
  readonly close?: boolean;
}

/** A loopback TCP server that plays `steps` to every connection: a scripted misbehaving peer. */
export async function scriptedServer(steps: readonly Step[]): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(async (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let received = '';
    const wait = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (received.includes(text)) {
            socket.off('data', onData);
            resolve();
          }
        };
        const onData = (chunk: Buffer) => {
          received += chunk.toString('utf8');
          check();
        };
        socket.on('data', onData);
        check();
      });
    for (const step of steps) {
      if (step.expect !== undefined) await wait(step.expect);
      if (step.send !== undefined) socket.write(step.send);
      if (step.close) socket.end();
    }
  });
  const port = await listen(server);
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
