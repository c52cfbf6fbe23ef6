import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { Duplex, type Readable, type Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { TunnelError } from './errors.js';
import type { BoundLog } from './log.js';
import type { ExecOptions } from './types.js';

/** The peer a program is started for (absent for connect+exec, where nobody connected to us). */
export interface ProgramPeer {
  readonly address: string;
  readonly port: number;
  readonly family: string;
}

/** What `startProgram` needs about the connection the program serves. */
export interface ProgramContext {
  readonly service: string;
  readonly peer?: ProgramPeer | undefined;
  /** The TLS session with the peer when it is already up (server mode): its client certificate fills SSL_CLIENT_DN. */
  readonly tls?: TLSSocket | undefined;
  /** TIMEOUTclose in ms: how long a program that outlives its connection has between SIGTERM and SIGKILL. */
  readonly closeMs: number;
  readonly log: BoundLog;
}

/**
 * A certificate name in the form stunnel hands to programs (OpenSSL's one-line form without spaces around `=`):
 * `O=Example, CN=client`. Node renders names one RDN per line, escaped as RFC 2253 asks; joining the lines gives
 * the same text for the usual ASCII names.
 */
function oneLineName(multiLine: string): string {
  return multiLine.split('\n').join(', ');
}

/**
 * The program's environment: tunnel's own, then `setEnv` lines, then the connection's facts, which win (stunnel puts
 * them first in envp, where getenv finds them before any inherited copy). REMOTE_HOST/REMOTE_PORT only for an IP peer
 * (stunnel sets them only when getnameinfo succeeds), SSL_CLIENT_DN/SSL_CLIENT_I_DN only when the peer sent a certificate.
 */
export function programEnvironment(
  exec: ExecOptions,
  peer: ProgramPeer | undefined,
  tls: TLSSocket | undefined,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  for (const [name, value] of Object.entries(exec.env ?? {})) env[name] = value;
  if (peer !== undefined && (peer.family === 'IPv4' || peer.family === 'IPv6')) {
    env.REMOTE_HOST = peer.address;
    env.REMOTE_PORT = String(peer.port);
  }
  const raw = tls?.getPeerCertificate()?.raw;
  if (raw !== undefined && raw.length > 0) {
    const certificate = new X509Certificate(raw);
    env.SSL_CLIENT_DN = oneLineName(certificate.subject);
    env.SSL_CLIENT_I_DN = oneLineName(certificate.issuer);
  }
  return env;
}

/**
 * One running program as a Duplex: writes go to its stdin, its stdout (and stderr, when it goes to the connection)
 * are read. Ending the writable side closes its stdin (half-close, as shutdown(SHUT_WR) on stunnel's socket pair);
 * its output ending ends the readable side. Destroying the stream before both directions are done (the connection
 * ended first, or in an error) sends a still running program SIGTERM, then SIGKILL after TIMEOUTclose.
 */
class ProgramStream extends Duplex {
  readonly #child: ChildProcess;
  readonly #input: Writable;
  readonly #outputs: Readable[];
  readonly #closeMs: number;
  #inputGone = false;

  constructor(child: ChildProcess, input: Writable, outputs: Readable[], closeMs: number) {
    super({ allowHalfOpen: true });
    this.#child = child;
    this.#input = input;
    this.#outputs = outputs;
    this.#closeMs = closeMs;
    // A program that exits or closes its stdin while data still flows toward it: the rest is dropped, as a write to a
    // closed socket pair ends that direction in stunnel ("Socket is closed"), not the whole connection.
    input.on('error', () => {
      this.#inputGone = true;
    });
    input.on('close', () => {
      this.#inputGone = true;
    });
    let open = outputs.length;
    for (const output of outputs) {
      output.on('data', (chunk: Buffer) => {
        if (!this.push(chunk)) for (const o of outputs) o.pause();
      });
      output.on('end', () => {
        open -= 1;
        if (open === 0) this.push(null);
      });
      output.on('error', (error) => this.destroy(error));
      output.pause();
    }
  }

  override _read(): void {
    for (const output of this.#outputs) output.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const input = this.#input;
    if (this.#inputGone || input.destroyed || input.write(chunk)) {
      callback();
      return;
    }
    const done = () => {
      input.off('drain', done);
      input.off('close', done);
      callback();
    };
    input.on('drain', done);
    input.on('close', done);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#inputGone && !this.#input.destroyed) this.#input.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const child = this.#child;
    // Both directions done without an error: the program saw the end of its input and closed its output, so it is
    // left to finish on its own, as stunnel leaves it. Anything else means the connection ended first.
    const completed = error === null && this.readableEnded && this.writableFinished;
    this.#input.destroy();
    for (const output of this.#outputs) output.destroy();
    if (!completed && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const hard = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, this.#closeMs);
      hard.unref();
      child.once('exit', () => clearTimeout(hard));
    }
    callback(error);
  }
}

/** How long the pty slave stays open after the program exited, for its last output to reach the master. */
const PTY_DRAIN_MS = 50;

/**
 * Starts `exec` for one connection and resolves with its stdio as a Duplex once it runs. A program that cannot be
 * started (missing, not executable, a bad interpreter) rejects with `ERR_TUNNEL_EXEC_FAILED` naming the path; the
 * caller closes that connection and the service goes on. The program inherits tunnel's user, group and root
 * directory, so under `setuid`/`chroot` it runs with the dropped privileges and inside the jail.
 */
export async function startProgram(exec: ExecOptions, context: ProgramContext): Promise<Duplex> {
  const { log } = context;
  // execve(2) semantics, as stunnel: a name without a slash is a file in the working directory, never a PATH search.
  const file = exec.path.includes('/') ? exec.path : `./${exec.path}`;
  const argv = exec.args !== undefined && exec.args.length > 0 ? exec.args : [exec.path];
  const env = programEnvironment(exec, context.peer, context.tls);
  const pty = exec.pty?.();
  // tunnel keeps its copy of the pty slave until the program has exited (and PTY_DRAIN_MS more): the master reports
  // EIO as soon as the last slave fd closes, even while output the program wrote just before exiting is still in the
  // terminal's flip buffer (Linux moves it from a work queue), and that output would be lost.
  let slaveOpen = pty !== undefined;
  const releaseSlave = () => {
    if (!slaveOpen) return;
    slaveOpen = false;
    pty?.closeSlave();
  };
  const stderr = exec.stderr ?? 'connection';
  let child: ChildProcess;
  try {
    child = spawn(file, argv.slice(1), {
      argv0: argv[0] as string,
      env,
      stdio:
        pty === undefined
          ? ['pipe', 'pipe', stderr === 'inherit' ? 'inherit' : 'pipe']
          : [pty.slave, pty.slave, stderr === 'inherit' ? 'inherit' : pty.slave],
    });
  } catch (error) {
    releaseSlave();
    pty?.stream.destroy();
    throw execFailed(exec.path, context.service, error);
  }
  await new Promise<void>((resolve, reject) => {
    const onSpawn = () => {
      child.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      child.off('spawn', onSpawn);
      releaseSlave();
      pty?.stream.destroy();
      reject(execFailed(exec.path, context.service, error));
    };
    child.once('spawn', onSpawn);
    child.once('error', onError);
  });
  child.on('error', () => {});
  const pid = child.pid;
  log.info(`Local mode child started (PID=${pid})${pty === undefined ? '' : ` on ${pty.path}`}`);
  child.once('exit', (code, signal) => {
    if (signal !== null) log.info(`Child process ${pid} terminated on signal ${signal}`);
    else log.info(`Child process ${pid} finished with code ${code}`);
    if (slaveOpen) setTimeout(releaseSlave, PTY_DRAIN_MS);
  });
  if (pty !== undefined) return new ProgramStream(child, pty.stream, [pty.stream], context.closeMs);
  const outputs = [child.stdout as Readable];
  if (stderr === 'connection') outputs.push(child.stderr as Readable);
  return new ProgramStream(child, child.stdin as Writable, outputs, context.closeMs);
}

function execFailed(path: string, service: string, error: unknown): TunnelError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new TunnelError('ERR_TUNNEL_EXEC_FAILED', `exec ${path}: the program could not be started (${code})`, {
    service,
    option: 'exec',
    stage: 'connect',
    cause: error,
  });
}
