// Summarizes a V8 .cpuprofile (node --cpu-prof): the top frames by self time, and by category.
// Usage: node bench/profile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from 'node:fs';

const [file, count = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map(); // node id -> microseconds
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);

const frameOf = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${url.replace(/^.*\/(node_modules|packages)\//, '$1/')}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
};
const frames = new Map();
for (const [id, us] of self) {
  const key = frameOf(byId.get(id));
  frames.set(key, (frames.get(key) ?? 0) + us);
}
// Category: whose code the time is in (idle, GC, native/C++, node internals, tunnel packages).
const categories = new Map();
for (const [id, us] of self) {
  const { functionName, url } = byId.get(id).callFrame;
  const category =
    functionName === '(idle)'
      ? 'idle'
      : functionName === '(garbage collector)'
        ? 'GC'
        : functionName === '(program)'
          ? 'native (program: C++, OpenSSL, syscalls)'
          : url.startsWith('node:')
            ? 'node internals (JS)'
            : url.includes('/packages/')
              ? 'tunnel packages (JS)'
              : url === ''
                ? 'native builtins'
                : 'other JS';
  categories.set(category, (categories.get(category) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1)}%`.padStart(6);
console.log(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled`);
console.log('by category:');
for (const [name, us] of [...categories].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${name}`);
console.log(`top ${count} frames by self time:`);
for (const [name, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) console.log(`  ${pct(us)}  ${name}`);
