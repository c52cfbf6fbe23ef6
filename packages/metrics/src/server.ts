import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsError } from './errors.js';
import { PROMETHEUS_CONTENT_TYPE } from './exposition.js';

/** What the endpoint serves. */
export interface MetricsEndpointOptions {
  /** The exposition text for `GET /metrics` (may gather figures from other processes first). */
  readonly collect: () => string | Promise<string>;
  /** `GET /health` answers 200 `ok` while this is true and 503 `shutting down` otherwise. */
  readonly healthy: () => boolean;
}

/**
 * A `node:http` request handler for `GET /metrics` and `GET /health` (HEAD too).
 * Anything else is 404; other methods on those paths 405. A failed collect is a
 * 500 with the error code, never a crash.
 */
export function createMetricsHandler(options: MetricsEndpointOptions): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (path !== '/metrics' && path !== '/health') return reply(404, 'text/plain; charset=utf-8', 'not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply(405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
    if (path === '/health') {
      return options.healthy()
        ? reply(200, 'text/plain; charset=utf-8', 'ok\n')
        : reply(503, 'text/plain; charset=utf-8', 'shutting down\n');
    }
    Promise.resolve()
      .then(() => options.collect())
      .then(
        (text) => reply(200, PROMETHEUS_CONTENT_TYPE, text),
        (error: unknown) => {
          const failure = new MetricsError('ERR_TUNNEL_METRICS_COLLECT', `cannot collect metrics: ${(error as Error).message}`, {
            cause: error,
          });
          reply(500, 'text/plain; charset=utf-8', `${failure.code}: ${failure.message}\n`);
        },
      );
  };
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The bound address (the port resolved when 0 was asked). */
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * Serves the handler on `host:port` (default host 127.0.0.1: metrics name
 * services and peers' traffic and are not for the open network). Rejects with
 * `ERR_TUNNEL_METRICS_LISTEN` when the address cannot be bound.
 */
export async function startMetricsServer(
  options: MetricsEndpointOptions & { readonly host?: string; readonly port: number },
): Promise<MetricsServer> {
  const server: Server = createServer(createMetricsHandler(options));
  // Scrapers keep connections alive; they must not hold up a shutdown.
  server.keepAliveTimeout = 5000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new MetricsError('ERR_TUNNEL_METRICS_LISTEN', `metrics: binding ${host}:${options.port}: ${error.message}`, { cause: error })),
    );
    server.listen({ host, port: options.port }, () => resolve());
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
