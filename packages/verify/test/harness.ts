import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { listen, type RunningProcess, startProcess } from '@tunnel/testkit';
import type { PeerVerdict, PeerVerifier } from '../src/index.js';

/**
 * Stands in for core's server side of the seam: a node:tls server with the
 * verifier's tlsOptions and rejectUnauthorized: false, which calls
 * `verifier.check()` after each handshake and answers OK or NO.
 */
export interface VerifyingServer {
  readonly port: number;
  /** The verdict of the next connection. */
  nextVerdict(): Promise<PeerVerdict>;
  close(): Promise<void>;
}

export async function verifyingServer(verifier: PeerVerifier, options: { cert: string; key: string }): Promise<VerifyingServer> {
  const verdicts: PeerVerdict[] = [];
  const waiters: Array<(verdict: PeerVerdict) => void> = [];
  const sockets = new Set<tls.TLSSocket>();
  const controller = new AbortController();
  const server = tls.createServer({
    key: readFileSync(options.key),
    cert: readFileSync(options.cert),
    ...verifier.tlsOptions,
    rejectUnauthorized: false,
  });
  if (verifier.staple !== undefined) {
    const staple = verifier.staple.bind(verifier);
    server.on('OCSPRequest', (certificate: Buffer, issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => {
      staple(certificate, issuer, controller.signal).then(
        (response) => callback(null, response),
        (error: Error) => callback(error),
      );
    });
  }
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    void verifier.check(socket, { mode: 'server', signal: controller.signal }).then((verdict) => {
      socket.end(verdict.ok ? 'OK\n' : `NO ${verdict.code}\n`);
      const waiter = waiters.shift();
      if (waiter) waiter(verdict);
      else verdicts.push(verdict);
    });
  });
  server.on('tlsClientError', () => {});
  const port = await listen(server);
  return {
    port,
    nextVerdict: () => {
      const ready = verdicts.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: async () => {
      controller.abort();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `openssl s_client` against the server and returns its verdict; the client stays connected until then. */
export async function sClientVerdict(
  server: VerifyingServer,
  args: readonly string[] = [],
): Promise<{ verdict: PeerVerdict; output: string }> {
  const client = startProcess('openssl', ['s_client', '-connect', `127.0.0.1:${server.port}`, ...args]);
  try {
    const verdict = await server.nextVerdict();
    await client.waitFor(/OK|NO ERR_/, 5000).catch(() => undefined);
    return { verdict, output: client.output() };
  } finally {
    await client.stop();
  }
}

/** Starts `openssl s_server` on 127.0.0.1 with a run-time port. */
export async function sServer(args: readonly string[]): Promise<{ port: number; process: RunningProcess }> {
  const server = startProcess('openssl', ['s_server', '-accept', '127.0.0.1:0', ...args]);
  const match = await server.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/, 5000);
  return { port: Number(match[1]), process: server };
}

/**
 * Stands in for core's client side: tls.connect with the verifier's
 * tlsOptions and rejectUnauthorized: false, then `verifier.check()` with the
 * stapled OCSP response, if the server sent one.
 */
export async function clientVerdict(
  verifier: PeerVerifier,
  port: number,
  options: { cert?: string; key?: string; servername?: string } = {},
): Promise<PeerVerdict> {
  let stapled: Buffer | undefined;
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    ...verifier.tlsOptions,
    ...(options.cert ? { cert: readFileSync(options.cert) } : {}),
    ...(options.key ? { key: readFileSync(options.key) } : {}),
    ...(options.servername ? { servername: options.servername } : {}),
    rejectUnauthorized: false,
  });
  socket.on('OCSPResponse', (response: Buffer) => {
    stapled = response;
  });
  try {
    await once(socket, 'secureConnect');
    return await verifier.check(socket, {
      mode: 'client',
      signal: new AbortController().signal,
      ...(options.servername ? { servername: options.servername } : {}),
      ...(stapled ? { ocspResponse: stapled } : {}),
    });
  } finally {
    socket.destroy();
  }
}
