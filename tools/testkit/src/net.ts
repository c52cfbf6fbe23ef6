import net from 'node:net';
import { once } from 'node:events';
import type { Readable } from 'node:stream';

/** Starts `server` listening on `host`, port 0, and resolves to the port the OS picked. */
export async function listen(server: net.Server, host = '127.0.0.1'): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return address.port;
}

export interface EchoServer {
  readonly port: number;
  readonly host: string;
  /** Number of connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** A TCP echo server on loopback: each connection gets back what it sends, with half-close honoured. */
export async function echoServer(host = '127.0.0.1'): Promise<EchoServer> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  const port = await listen(server, host);
  return {
    port,
    host,
    connections: () => count,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens a TCP connection and resolves once it is connected. */
export async function connectTcp(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ port, host, allowHalfOpen: true });
  await once(socket, 'connect');
  return socket;
}

/** Collects a readable stream until it ends. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}
