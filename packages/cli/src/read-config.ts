import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { type Config, diskReaders, parseConfig } from '@tunnel/config-parser';
import type { ConfigSource } from './args.js';
import { CliError } from './errors.js';

/**
 * Reads and parses the configuration named on the command line: a file, or
 * `-fd N` (a file, a pipe or a socket — anything readable to its end).
 * Throws the parser's `ConfigError` (every problem, with file:line) or a
 * `CliError` when the source cannot be read at all.
 */
export async function readConfig(source: ConfigSource): Promise<{ config: Config; text: string; name: string }> {
  const name = source.kind === 'file' ? source.path : `fd ${source.fd}`;
  let text: string;
  try {
    text = source.kind === 'file' ? readFileSync(source.path, 'utf8') : await readDescriptor(source.fd);
  } catch (error) {
    throw new CliError('ERR_TUNNEL_CONFIG_UNREADABLE', `cannot read the configuration ${name}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const config = parseConfig(text, { file: name, ...diskReaders() });
  return { config, text, name };
}

/** Reads a descriptor to its end: a plain read for files and blocking pipes, a stream for non-blocking pipes and sockets. */
async function readDescriptor(fd: number): Promise<string> {
  try {
    return readFileSync(fd, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
  }
  const socket = new Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
