import { createDemoCertificate, createStreamLogger, createTunnel, startEchoServer, type Tunnel } from '@tunnel/core';

/** What the demo started, for the caller (and tests) to use and stop. */
export interface Demo {
  readonly port: number;
  readonly tunnel: Tunnel;
  /** The self-signed certificate the demo serves, PEM. */
  readonly certificate: string;
  stop(): Promise<void>;
}

/**
 * `tunnel -demo`: a working TLS tunnel on localhost with nothing to prepare.
 * A fresh self-signed certificate is generated in-process, a built-in echo
 * server stands behind it, and the service accepts TLS on 127.0.0.1:`port`
 * (8443 by default, `TUNNEL_DEMO_PORT` to change, 0 for any free port).
 */
export async function startDemo(options: { port?: number; log?: NodeJS.WritableStream } = {}): Promise<Demo> {
  const { cert, key } = await createDemoCertificate({ commonName: 'localhost' });
  const echo = await startEchoServer({ host: '127.0.0.1' });
  const requested = options.port ?? Number(process.env.TUNNEL_DEMO_PORT ?? 8443);
  const tunnel = createTunnel({
    services: [
      {
        name: 'demo',
        mode: 'server',
        accept: [{ host: '127.0.0.1', port: requested }],
        connect: [{ host: echo.host, port: echo.port }],
        cert,
        key,
      },
    ],
    logger: createStreamLogger((options.log ?? process.stderr) as import('node:stream').Writable),
  });
  await tunnel.listen();
  const bound = tunnel.addresses().get('demo')?.[0];
  const port = typeof bound === 'object' ? bound.port : requested;
  return {
    port,
    tunnel,
    certificate: cert,
    stop: async () => {
      await tunnel.close({ graceful: false });
      await echo.close();
    },
  };
}

/** The lines the demo prints so a person can try it at once. */
export function demoInstructions(port: number): string {
  return [
    `tunnel demo: TLS on 127.0.0.1:${port} -> built-in echo server (self-signed certificate for "localhost").`,
    'Try it in another terminal; every line you type comes back through the tunnel:',
    `  openssl s_client -connect 127.0.0.1:${port} -servername localhost -quiet`,
    'Stop the demo with Ctrl-C.',
    '',
  ].join('\n');
}
