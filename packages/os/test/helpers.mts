import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Runs a fixture script (test/fixtures/*.mts) in a fresh Node process and parses the JSON it prints last. */
export function runFixture(name: string, args: readonly string[], timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const lines = stdout.trim().split('\n');
      try {
        resolve(JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>);
      } catch {
        reject(new Error(`fixture ${name} failed: ${error?.message ?? ''}\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}
