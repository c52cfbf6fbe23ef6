// Reads the grouped turbo log of `pnpm test` and prints one line
// "N passed, N failed" summed over every package's uvu summary. A package
// whose test task failed without a summary (a crash at import) counts as one
// failure, so a broken file can never pass silently.
import { readFileSync } from 'node:fs';

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
const text = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const perPackage = new Map();
for (const line of text.split('\n')) {
  const match = line.match(/^(\S+?):test:\s+(Total|Passed|Skipped):\s+(\d+)/);
  if (!match) continue;
  const [, pkg, field, value] = match;
  const entry = perPackage.get(pkg) ?? { Total: 0, Passed: 0, Skipped: 0 };
  entry[field] += Number(value);
  perPackage.set(pkg, entry);
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const { Total, Passed, Skipped } of perPackage.values()) {
  passed += Passed;
  skipped += Skipped;
  failed += Total - Passed - Skipped;
}
const crashed = new Set();
for (const m of text.matchAll(/^\s*Failed:\s+(.+)$/gm)) {
  for (const task of m[1].split(',')) {
    const pkg = task.trim().replace(/#test$/, '');
    const entry = perPackage.get(pkg);
    if (!entry || entry.Total === entry.Passed + entry.Skipped) crashed.add(pkg);
  }
}
failed += crashed.size;
for (const pkg of crashed) console.log(`${pkg}: test task failed outside a test (counted as 1 failure)`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
