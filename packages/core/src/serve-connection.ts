import { runConnection } from './connection.js';
import { bindLog } from './log.js';
import { prepareService } from './service.js';
import type { ConnectionCloseEvent, ServeConnectionOptions } from './types.js';

/**
 * Serves ONE already-connected stream through a service's chain (inetd mode:
 * stunnel started by inetd with stdin/stdout as the accepted connection).
 * Join stdin and stdout with `Duplex.from({ readable: process.stdin, writable: process.stdout })`.
 * Resolves with the close event (byte counts, error) once the connection is
 * over; a refused configuration throws `TunnelError` before any I/O.
 */
export async function serveConnection(options: ServeConnectionOptions): Promise<ConnectionCloseEvent> {
  const prepared = prepareService(options.service);
  const id = prepared.nextId();
  const peer = options.peer ?? { address: 'stdio', port: 0, family: 'unix' };
  const log = bindLog(options.logger, prepared.level, prepared.name, id);
  await prepared.resolve(log);
  log.notice(`Service [${prepared.name}] accepted connection from ${peer.address}${peer.port === 0 ? '' : `:${peer.port}`}`);
  return runConnection({
    service: prepared,
    id,
    local: options.stream,
    peer,
    logger: options.logger,
    shutdown: options.signal ?? new AbortController().signal,
  });
}
