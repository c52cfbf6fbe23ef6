import { type Socket, createServer } from 'node:net';

/** A running echo backend. */
export interface EchoBackend {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts a tiny TCP echo server (for `tunnel -demo` style setups): every byte comes back; a FIN is answered with a FIN. */
export function startEchoServer(options: { host?: string; port?: number } = {}): Promise<EchoBackend> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        host,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}
