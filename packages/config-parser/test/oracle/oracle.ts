/**
 * Oracle: run Debian's stunnel4 (5.68) on every configuration of the corpus and compare its accept/reject verdict with
 * loadConfig's. Run from packages/config-parser:
 *
 *   npx tsx test/oracle/oracle.ts           # compare and print; exit code 1 on an unexplained disagreement (CI)
 *   npx tsx test/oracle/oracle.ts --write   # also rewrite ORACLE.md and test/oracle/fixture.json (the pnpm test subset)
 *
 * stunnel has no "check only" switch: it is started in the foreground; a configuration is accepted when stunnel logs
 * "Configuration successful" (or is still running after a grace period, for configs that log below notice), and
 * rejected when it exits first. Every process is killed by its own PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/index.js';
import { type OracleCase, generateCorpus } from './corpus.js';
import { explainDisagreement } from './known.js';

type Verdict = 'accept' | 'reject';

interface Result {
  case: OracleCase;
  stunnel: Verdict;
  stunnelSays: string;
  ours: Verdict;
  oursSays: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..', '..');
const graceMs = 3000;

function makeMaterials(root: string): Record<string, string> {
  const key = join(root, 'key.pem');
  const cert = join(root, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost'],
    {
      stdio: 'ignore',
    },
  );
  const combined = join(root, 'combined.pem');
  writeFileSync(combined, execFileSync('cat', [key, cert]));
  const psk = join(root, 'psk.txt');
  writeFileSync(psk, `me:${'0123456789abcdef'.repeat(4)}\n`, { mode: 0o600 });
  return { '@CERT@': cert, '@KEY@': key, '@COMBINED@': combined, '@CA@': cert, '@PSK@': psk };
}

function substitute(text: string, values: Record<string, string>): string {
  let out = text;
  for (const [placeholder, value] of Object.entries(values)) out = out.replaceAll(placeholder, value);
  return out;
}

function runStunnel(configPath: string, cwd: string): Promise<{ verdict: Verdict; says: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn('stunnel4', [configPath], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const finish = (verdict: Verdict): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const says =
        output
          .split('\n')
          .filter((line) => line.includes('[!]'))
          .map((line) => line.replace(/^.*?\[!\]\s*/, ''))
          .filter((line) => !line.startsWith('error queue') && line !== 'No trusted certificates found')
          .at(0) ?? '';
      if (child.exitCode === null && child.signalCode === null) {
        child.once('close', () => resolve({ verdict, says }));
        child.kill('SIGKILL');
      } else resolve({ verdict, says });
    };
    const timer = setTimeout(() => finish('accept'), graceMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Configuration successful')) finish('accept');
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    // 'close' (not 'exit'): in inetd mode stunnel logs to stdout, which may still hold data when the process exits.
    child.on('close', () => finish(output.includes('Configuration successful') ? 'accept' : 'reject'));
    child.on('error', () => finish('reject'));
  });
}

async function judge(item: OracleCase, root: string, materials: Record<string, string>): Promise<Result> {
  const dir = join(root, item.id);
  mkdirSync(dir, { recursive: true });
  const values = { ...materials, '@DIR@': dir };
  for (const [name, content] of Object.entries(item.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), substitute(content, values));
  }
  const configPath = join(dir, 'stunnel.conf');
  writeFileSync(configPath, substitute(item.text, values));
  const stunnel = await runStunnel(configPath, dir);
  let ours: Verdict = 'accept';
  let oursSays = '';
  try {
    await loadConfig(configPath);
  } catch (error) {
    ours = 'reject';
    const issues = (error as { issues?: Array<{ code: string; toString(): string }> }).issues ?? [];
    oursSays = issues.map((issue) => `${issue.code} ${issue.toString().replace(`${dir}/`, '')}`).join('; ') || String(error);
  }
  return { case: item, stunnel: stunnel.verdict, stunnelSays: stunnel.says.replaceAll(`${dir}/`, ''), ours, oursSays };
}

/** Can this machine listen on ::1? (Containers often run without IPv6.) */
function ipv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

/**
 * Cases whose stunnel verdict depends on privileges or IPv6 rather than on the text; the recorded verdicts assume root
 * and an IPv6 loopback, so elsewhere those cases are left out instead of reported as disagreements.
 */
async function environmentSkips(): Promise<Array<[RegExp, string]>> {
  const skips: Array<[RegExp, string]> = [];
  if (process.getuid?.() !== 0) {
    skips.push([/setuid = root|setgid = root|chroot =|SO_BINDTODEVICE|transparent = (source|yes|both)/, 'needs root']);
  }
  if (!(await ipv6Loopback())) skips.push([/(accept|connect) = :?::1?:|accept = :::/, 'needs an IPv6 loopback']);
  return skips;
}

async function main(): Promise<void> {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'tunnel-oracle-'));
  try {
    const materials = makeMaterials(root);
    const skip = await environmentSkips();
    const all = generateCorpus();
    const corpus = all.filter((item) => !skip.some(([pattern]) => pattern.test(item.text)));
    for (const [pattern, why] of skip) {
      console.log(`skipped ${all.filter((item) => pattern.test(item.text)).length} configs matching ${pattern}: ${why}`);
    }
    const results: Result[] = [];
    const queue = [...corpus];
    const worker = async (): Promise<void> => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) results.push(await judge(item, root, materials));
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    results.sort((a, b) => a.case.id.localeCompare(b.case.id));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const agree = results.filter((result) => result.ours === result.stunnel);
    const disagree = results.filter((result) => result.ours !== result.stunnel);
    const unexplained = disagree.filter((result) => explainDisagreement(result.case.about) === undefined);
    console.log(`corpus: ${results.length} configs, agreement ${agree.length}/${results.length}, ${seconds} s`);
    for (const result of disagree) {
      const reason = explainDisagreement(result.case.about) ?? 'UNEXPLAINED';
      console.log(
        `${result.case.id} ${result.case.about}: stunnel ${result.stunnel} (${result.stunnelSays}) / ours ${result.ours} (${result.oursSays}) -- ${reason}`,
      );
    }
    if (process.argv.includes('--write')) {
      writeFileSync(join(packageDir, 'ORACLE.md'), report(results, seconds));
      writeFixture(results);
      // The repository formats Markdown and JSON with biome; write the files the way it would.
      execFileSync('npx', ['biome', 'format', '--write', 'ORACLE.md', 'test/oracle/fixture.json'], { cwd: packageDir, stdio: 'ignore' });
    }
    if (unexplained.length > 0) process.exitCode = 1;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function cell(text: string, max = 160): string {
  const flat = text.replaceAll('|', '\\|').replaceAll('\n', ' ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

function report(results: Result[], seconds: string): string {
  const agree = results.filter((result) => result.ours === result.stunnel).length;
  const disagree = results.filter((result) => result.ours !== result.stunnel);
  const rate = ((agree / results.length) * 100).toFixed(1);
  const accepted = results.filter((result) => result.stunnel === 'accept').length;
  const ordinary = results.filter((result) => !result.case.about.startsWith('divergent:'));
  const ordinaryAgree = ordinary.filter((result) => result.ours === result.stunnel).length;
  return [
    '# Oracle: parseConfig against Debian stunnel4 5.68',
    '',
    'Generated by `npx tsx test/oracle/oracle.ts --write` (from packages/config-parser; do not edit by hand).',
    '',
    `The corpus (test/oracle/corpus.ts, seeded) has ${results.length} configurations; stunnel4 accepted ${accepted} and rejected`,
    `${results.length - accepted}. parseConfig (through loadConfig) gave the same verdict on **${agree}/${results.length} (${rate} %)**.`,
    `On the ${ordinary.length} configurations outside the "divergent" group (cases added on purpose because the verdict`,
    `depends on the machine or tunnel decides differently by design) the agreement is **${ordinaryAgree}/${ordinary.length}**.`,
    `The run took ${seconds} s.`,
    '',
    '## How a verdict is taken',
    '',
    'stunnel has no "check only" switch. Each configuration runs `stunnel4 FILE` in the foreground with listeners on',
    'port 0; it is accepted when stunnel logs "Configuration successful" (or is still running after a grace period, for',
    'configurations that log below notice), and rejected when stunnel exits first. inetd-mode configurations log to stdout.',
    'A self-signed certificate, a CA file and a PSK file are generated per run; `@DIR@` placeholders become a scratch',
    'directory. Every stunnel4 process is killed by its own PID.',
    '',
    '## Behaviour learned from stunnel 5.68 (and matched)',
    '',
    '- `#` starts a comment line as well as `;`; option names are case-insensitive; a BOM is skipped only at the start.',
    '- Duplicate `[service]` names are accepted; section names are trimmed and may be empty.',
    '- `include` reads every regular file of the directory (no suffix filter, hidden files too), in byte order, in place;',
    '  an include loop makes stunnel 5.68 crash (segmentation fault) and is refused here.',
    '- `accept` may be repeated; `HOST:PORT` splits at the last colon; `[::1]:443` does not resolve; `:443` is refused.',
    "- Global service-level options are defaults; repeatable ones (connect, options, ...) are added before the service's own.",
    '- A facility in a service-level `debug` is refused; level names are the eight syslog names only (no `error`/`warn`).',
    '- `sslVersion = SSLv2` is refused by 5.68 (OpenSSL 3), `retry` takes only yes/no, `OCSPrequire`, `TIMEOUTocsp`,',
    '  `setEnv`, `CAstore` and `provider` are unknown to 5.68 (tunnel reads retry = DELAY and the first three as newer stunnels do).',
    '- Load-time checks: two endpoints per service (socks servers and `transparent = destination` count as the target),',
    '  certificate for servers, CA for verification, verification for checkHost/checkEmail/checkIP/redirect, both ticket',
    '  secrets, sni primaries defined earlier and not clients, engine options after an engine other than `auto`.',
    '',
    '## Disagreements',
    '',
    'Every disagreement, with its reason (reasons live in test/oracle/known.ts; an unexplained one fails the script):',
    '',
    '| id | case | stunnel 5.68 | parseConfig | reason |',
    '|---|---|---|---|---|',
    ...disagree.map(
      (result) =>
        `| ${result.case.id} | ${cell(result.case.about)} | ${result.stunnel}: ${cell(result.stunnelSays)} | ${result.ours}: ${cell(result.oursSays)} | ${cell(explainDisagreement(result.case.about) ?? 'UNEXPLAINED', 1000)} |`,
    ),
    '',
  ].join('\n');
}

function writeFixture(results: Result[]): void {
  // A fixed, spread-out subset of 40: 10 documented disagreements and 30 agreeing cases, evenly spaced.
  const spread = <T>(items: T[], count: number): T[] => {
    const step = items.length / Math.max(1, count);
    return Array.from({ length: Math.min(count, items.length) }, (_, index) => items[Math.floor(index * step)] as T);
  };
  const disagree = results.filter((result) => result.ours !== result.stunnel);
  const agree = results.filter((result) => result.ours === result.stunnel);
  const chosen = [...spread(disagree, 10), ...spread(agree, 40 - Math.min(10, disagree.length))];
  chosen.sort((a, b) => a.case.id.localeCompare(b.case.id));
  const fixture = chosen.map((result) => ({ ...result.case, stunnel: result.stunnel, stunnelSays: result.stunnelSays }));
  writeFileSync(join(here, 'fixture.json'), `${JSON.stringify(fixture, null, 2)}\n`);
}

await main();
