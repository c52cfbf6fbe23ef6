import { connect, type Socket } from 'node:net';
import { SessionsError } from './errors.js';
import { DEFAULT_RESP_LIMITS, encodeCommand, isErrorReply, parseReply, type RespValue } from './resp.js';

/** Options of {@link connectRedis}. */
export interface RedisOptions {
  readonly host: string;
  readonly port: number;
  /** Bound on connecting and on every command, in milliseconds (default 200). */
  readonly timeoutMs?: number | undefined;
  /** Sent with `AUTH` right after connecting (Redis `requirepass`). */
  readonly password?: string | undefined;
}

/** One Redis connection: commands are pipelined and answered in order. */
export interface RedisConnection {
  /** Sends a command; resolves with the reply (a `-` reply rejects with `ERR_TUNNEL_SESSIONS_REDIS_REPLY`). */
  command(args: ReadonlyArray<string | Buffer>): Promise<RespValue>;
  /** True until the connection failed or was closed. */
  readonly open: boolean;
  /** Called once when the connection ends for any reason, with the error that ended it, if any. */
  onEnd(listener: (error: SessionsError | undefined) => void): void;
  close(): void;
}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Connects to Redis with a time bound. The socket is unref'd while idle: a
 * cache never keeps the process alive. A command that outlives `timeoutMs` ends the whole
 * connection (replies are ordered, so a late one would answer the wrong
 * caller): slow Redis counts as no Redis.
 */
export function connectRedis(options: RedisOptions): Promise<RedisConnection> {
  const timeoutMs = options.timeoutMs ?? 200;
  const where = `${options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    // Referenced only while something waits on it: an idle cache connection never keeps the process alive,
    // but a caller awaiting a reply (ticket keys at start-up) must not see the event loop run dry under it.
    const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
    const pending: Pending[] = [];
    const listeners: Array<(error: SessionsError | undefined) => void> = [];
    let buffered: Buffer = Buffer.alloc(0);
    let open = false;
    let ended = false;

    const end = (error: SessionsError | undefined) => {
      if (ended) return;
      ended = true;
      open = false;
      socket.destroy();
      const failure = error ?? new SessionsError('ERR_TUNNEL_SESSIONS_REDIS_CLOSED', `Redis ${where} connection closed`);
      for (const entry of pending.splice(0)) {
        clearTimeout(entry.timer);
        entry.reject(failure);
      }
      for (const listener of listeners) listener(error);
    };

    const connectTimer = setTimeout(() => {
      const error = new SessionsError(
        'ERR_TUNNEL_SESSIONS_REDIS_TIMEOUT',
        `Redis ${where} did not accept a connection within ${timeoutMs} ms`,
      );
      end(error);
      reject(error);
    }, timeoutMs);

    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      try {
        let offset = 0;
        for (;;) {
          const reply = parseReply(buffered, offset, DEFAULT_RESP_LIMITS);
          if (reply === undefined) break;
          offset = reply.next;
          const entry = pending.shift();
          if (entry === undefined) throw new SessionsError('ERR_TUNNEL_SESSIONS_RESP_MALFORMED', 'Redis sent a reply nobody asked for');
          clearTimeout(entry.timer);
          if (pending.length === 0) socket.unref();
          if (isErrorReply(reply.value))
            entry.reject(new SessionsError('ERR_TUNNEL_SESSIONS_REDIS_REPLY', `Redis ${where}: ${reply.value.error}`));
          else entry.resolve(reply.value);
        }
        buffered = offset === buffered.length ? Buffer.alloc(0) : buffered.subarray(offset);
      } catch (error) {
        end(
          error instanceof SessionsError ? error : new SessionsError('ERR_TUNNEL_SESSIONS_RESP_MALFORMED', String(error), { cause: error }),
        );
      }
    });
    socket.on('error', (error) => {
      const wrapped = new SessionsError('ERR_TUNNEL_SESSIONS_REDIS_CONNECT', `Redis ${where}: ${error.message}`, { cause: error });
      if (!open) {
        clearTimeout(connectTimer);
        reject(wrapped);
      }
      end(wrapped);
    });
    socket.on('close', () => end(undefined));

    const command = (args: ReadonlyArray<string | Buffer>): Promise<RespValue> =>
      new Promise((resolveCommand, rejectCommand) => {
        if (ended) {
          rejectCommand(new SessionsError('ERR_TUNNEL_SESSIONS_REDIS_CLOSED', `Redis ${where} connection closed`));
          return;
        }
        const timer = setTimeout(
          () =>
            end(
              new SessionsError(
                'ERR_TUNNEL_SESSIONS_REDIS_TIMEOUT',
                `Redis ${where} did not answer ${String(args[0])} within ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
        timer.unref();
        pending.push({ resolve: resolveCommand, reject: rejectCommand, timer });
        socket.ref();
        socket.write(encodeCommand(args));
      });

    socket.once('connect', () => {
      const ready = options.password === undefined ? command(['PING']) : command(['AUTH', options.password]);
      ready.then(
        () => {
          clearTimeout(connectTimer);
          open = true;
          resolve({
            command,
            get open() {
              return open;
            },
            onEnd: (listener) => listeners.push(listener),
            close: () => end(undefined),
          });
        },
        (error: Error) => {
          clearTimeout(connectTimer);
          end(undefined);
          reject(error);
        },
      );
    });
  });
}
