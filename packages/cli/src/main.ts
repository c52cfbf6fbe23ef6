import { type Command, type ConfigSource, parseArguments, USAGE } from './args.js';
import { isDaemonChild, notifyParentFailed, startDaemon } from './daemon.js';
import { demoInstructions, startDemo } from './demo.js';
import { helpText, optionsText, socketsText, versionText } from './info.js';
import { prepare, runConfiguration } from './run.js';
import { isTunnelWorker } from './workers.js';
import { testConfiguration } from './config-test.js';

/** Output streams, replaceable in tests. */
export interface MainIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * The `tunnel` command. Returns the exit status: 0 on success, 1 on any
 * error. User errors (flags, configuration, files) print `file:line: option:
 * reason` lines without a stack trace.
 */
export async function main(argv: readonly string[], io: MainIo = process): Promise<number> {
  let command: Command;
  try {
    command = parseArguments(argv);
  } catch (error) {
    io.stderr.write(`tunnel: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  try {
    switch (command.kind) {
      case 'help':
        io.stdout.write(`${helpText()}\n${USAGE}\n`);
        return 0;
      case 'version':
        io.stdout.write(versionText());
        return 0;
      case 'options':
        io.stdout.write(optionsText());
        return 0;
      case 'sockets':
        io.stdout.write(socketsText());
        return 0;
      case 'demo':
        return await runDemo(io);
      case 'test':
        return await testConfiguration(command.source, io, describeFailure);
      case 'run':
        if (isDaemonChild() || isTunnelWorker()) return await runConfiguration(command.source);
        return await runOrDaemonize(command.source, argv, io);
    }
  } catch (error) {
    const message = describeFailure(error);
    notifyParentFailed(message);
    io.stderr.write(`${message}\n`);
    return 1;
  }
}

/** Checks the whole configuration in the foreground first, so a broken file fails here with its messages; then runs or detaches. */
async function runOrDaemonize(source: ConfigSource, argv: readonly string[], io: MainIo): Promise<number> {
  const prepared = await prepare(source);
  const { config } = prepared;
  if (config.globals.foreground !== false || config.inetd) return runConfiguration(source, prepared);
  if (source.kind === 'fd') {
    io.stderr.write('tunnel: -fd cannot be combined with background mode (the descriptor is read once); set foreground = yes\n');
    return 1;
  }
  return startDaemon(argv);
}

async function runDemo(io: MainIo): Promise<number> {
  const demo = await startDemo({ log: io.stderr });
  io.stdout.write(demoInstructions(demo.port));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await demo.stop();
  return 0;
}

/** One readable message per failure: every `file:line: option: reason` of a config error, or `code: message`. */
export function describeFailure(error: unknown): string {
  const issues = (error as { issues?: ReadonlyArray<{ toString(): string }> }).issues;
  if (Array.isArray(issues)) {
    return issues
      .map((issue) =>
        typeof issue.toString === 'function' && issue.toString !== Object.prototype.toString ? issue.toString() : formatPlain(issue),
      )
      .join('\n');
  }
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  return code === undefined ? `tunnel: ${message}` : `tunnel: ${message} (${code})`;
}

function formatPlain(issue: unknown): string {
  const { file, line, option, message } = issue as { file: string; line: number; option?: string; message: string };
  return option === undefined ? `${file}:${line}: ${message}` : `${file}:${line}: ${option}: ${message}`;
}
