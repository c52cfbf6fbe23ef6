/**
 * `tunnel -test FILE` (stunnel has no such flag): checks a configuration the way a start would, without
 * starting — parse, build every service (certificate and key files read and matched, CA/CRL stores loaded,
 * protocols resolved, TLS contexts created) — then prints what would run, or every problem. Nothing is bound,
 * no log file, pid file or daemon is touched.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config, ServiceConfig } from '@tunnel/config-parser';
import { type AcceptAddress, type ConnectTarget, createTunnel, type ServiceOptions } from '@tunnel/core';
import type { ConfigSource } from './args.js';
import { readConfig } from './read-config.js';
import { type Prepared, prepare } from './run.js';
import { formatIssue, type SetupIssue } from './setup-error.js';

/** Output streams of `-test`. */
export interface ConfigTestIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1] ?? '', pem: match[0] }));
}

function text(value: string | Buffer | undefined): string {
  return value === undefined ? '' : Buffer.isBuffer(value) ? value.toString('latin1') : value;
}

/** The leaf certificate of a service, and whether its key matches it; an issue when they do not. */
export function checkKeyPair(
  options: Pick<ServiceOptions, 'cert' | 'key'>,
  where: { file: string; line: number; option: string },
): { certificate?: X509Certificate; issue?: SetupIssue } {
  const certText = text(options.cert);
  const blocks = pemBlocks(certText);
  const leaf = blocks.find((block) => block.label === 'CERTIFICATE');
  if (leaf === undefined) return {};
  const issue = (message: string): SetupIssue => ({ code: 'ERR_TUNNEL_KEY_MISMATCH', ...where, message });
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(leaf.pem);
  } catch (error) {
    return { issue: { ...issue(`the certificate cannot be parsed: ${(error as Error).message}`), code: 'ERR_TUNNEL_BAD_CERT' } };
  }
  const keyBlock = [...pemBlocks(text(options.key)), ...blocks].find((block) => block.label.endsWith('PRIVATE KEY'));
  if (keyBlock === undefined) return { certificate, issue: { ...issue('no private key in key or cert'), code: 'ERR_TUNNEL_NO_KEY' } };
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(keyBlock.pem))) {
      return { certificate, issue: issue(`the private key does not match the certificate ${certificate.subject.replace(/\n/g, ', ')}`) };
    }
  } catch (error) {
    return { certificate, issue: { ...issue(`the private key cannot be read: ${(error as Error).message}`), code: 'ERR_TUNNEL_BAD_KEY' } };
  }
  return { certificate };
}

function showAccept(address: AcceptAddress): string {
  if ('path' in address) return address.path;
  const host = address.host ?? '::';
  return `${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

function showConnect(target: ConnectTarget): string {
  return 'path' in target ? target.path : `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

function where(config: ServiceConfig, option: 'cert' | 'key'): { file: string; line: number; option: string } {
  const location = config.locations[option] ?? config.locations.cert ?? config.location;
  return { file: location.file, line: location.line, option };
}

/** Renders the resolved services: name, mode, accept, connect, protocol, certificate subject and expiry. */
export function describeServices(
  prepared: Prepared,
  certificates: ReadonlyMap<string, X509Certificate>,
  name: string,
  now = new Date(),
): string {
  const lines = [`Configuration ${name} is valid: ${prepared.services.length} service(s)`];
  for (const { options } of prepared.services) {
    lines.push(`[${options.name}] ${options.mode} mode`);
    lines.push(`  accept    ${options.accept.length === 0 ? '(none: inetd)' : options.accept.map(showAccept).join(', ')}`);
    lines.push(`  connect   ${options.connect.length === 0 ? '(set by the protocol)' : options.connect.map(showConnect).join(', ')}`);
    if (options.protocol !== undefined) lines.push(`  protocol  ${options.protocol.name}`);
    const certificate = certificates.get(options.name);
    if (certificate !== undefined) {
      const notAfter = new Date(certificate.validTo);
      const days = Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
      const state = days < 0 ? 'EXPIRED' : `${days} day(s) left`;
      lines.push(`  cert      ${certificate.subject.replace(/\n/g, ', ')}; expires ${notAfter.toISOString()} (${state})`);
    }
    for (const slave of options.sniServices ?? []) lines.push(`  sni       ${slave.pattern} -> [${slave.service.name}]`);
  }
  return `${lines.join('\n')}\n`;
}

/** Key/certificate pairs of every service, read from the files the parsed configuration names (for when building failed early). */
async function keyPairIssues(source: ConfigSource): Promise<SetupIssue[]> {
  let config: Config;
  try {
    ({ config } = await readConfig(source));
  } catch {
    return []; // the parse errors are reported by prepare()
  }
  const issues: SetupIssue[] = [];
  for (const service of config.services) {
    if (service.cert === undefined) continue;
    let cert: Buffer;
    let key: Buffer | undefined;
    try {
      cert = readFileSync(service.cert);
      key = service.key === undefined ? undefined : readFileSync(service.key);
    } catch {
      continue; // unreadable files are reported by prepare()
    }
    const checked = checkKeyPair({ cert, key }, where(service, service.key === undefined ? 'cert' : 'key'));
    if (checked.issue !== undefined) issues.push(checked.issue);
  }
  return issues;
}

/**
 * Runs `tunnel -test`: resolves to the exit status (0 valid, 1 with every problem printed as
 * `file:line: option: reason`).
 */
export async function testConfiguration(
  source: ConfigSource,
  io: ConfigTestIo,
  describeFailure: (error: unknown) => string,
): Promise<number> {
  let prepared: Prepared;
  try {
    prepared = await prepare(source);
  } catch (error) {
    // Building stopped at the first broken services; still say which certificates and keys do not match.
    const lines = [describeFailure(error), ...(await keyPairIssues(source)).map(formatIssue)];
    io.stderr.write(`${[...new Set(lines.join('\n').split('\n'))].join('\n')}\n`);
    return 1;
  }
  const issues: SetupIssue[] = [];
  const certificates = new Map<string, X509Certificate>();
  for (const { options, config } of prepared.services) {
    const checked = checkKeyPair(options, where(config, config.key === undefined ? 'cert' : 'key'));
    if (checked.certificate !== undefined) certificates.set(options.name, checked.certificate);
    if (checked.issue !== undefined) issues.push(checked.issue);
  }
  if (issues.length === 0) {
    // Core prepares every service (TLS contexts, cipher lists, protocol contracts) when the tunnel is created; listen() is never called.
    try {
      createTunnel({ services: prepared.services.map((service) => service.options) });
    } catch (error) {
      const service = prepared.services.find((candidate) => candidate.options.name === (error as { service?: string }).service);
      const option = (error as { option?: string }).option;
      const at = (option === undefined ? undefined : service?.config.locations[option]) ?? service?.config.location;
      const code = (error as { code?: string }).code ?? 'ERR_TUNNEL_SETUP';
      const message = `${(error as Error).message} (${code})`;
      issues.push({ code, file: at?.file ?? sourceName(source), line: at?.line ?? 0, option, message });
    }
  }
  if (issues.length > 0) {
    io.stderr.write(`${issues.map(formatIssue).join('\n')}\n`);
    return 1;
  }
  io.stdout.write(describeServices(prepared, certificates, sourceName(source)));
  return 0;
}

function sourceName(source: ConfigSource): string {
  return source.kind === 'file' ? source.path : `fd ${source.fd}`;
}
