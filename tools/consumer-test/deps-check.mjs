// Each public package's runtime dependency list must be exactly what its src/**/*.ts imports:
// every bare specifier imported from src/ (static, re-export, side-effect or dynamic import; type-only
// imports count too, since the shipped .d.ts reference them) must be in dependencies or
// peerDependencies, and every entry there must be imported. node: and built-in modules are ignored.
// Usage: node tools/consumer-test/deps-check.mjs   (exit 1 on any mismatch)
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const builtins = new Set(builtinModules);

function* sources(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (path.endsWith('.ts') && !path.endsWith('.test.ts')) yield path;
  }
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtins.has(name) ? undefined : name;
}

function importsOf(text) {
  // Comments may mention module names (`see 'pkijs'`): drop them first (string contents like 'http://x' survive
  // because line comments are only removed when they start a line or follow code after whitespace).
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
  const found = new Map(); // name → 'value' | 'type'
  const add = (specifier, kind) => {
    const name = packageOf(specifier);
    if (name !== undefined && found.get(name) !== 'value') found.set(name, kind);
  };
  for (const m of code.matchAll(/\b(import|export)(\s+type)?\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g)) add(m[3], m[2] ? 'type' : 'value');
  for (const m of code.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)) add(m[1], 'value');
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1], 'value');
  // A computed import such as import(`@tunnel/proto-${name}`) uses every dependency its fixed prefix matches.
  const prefixes = [...code.matchAll(/\bimport\(\s*`([^`$]*)\$\{/g)].map((m) => m[1]).filter((prefix) => packageOf(`${prefix}x`));
  return { found, prefixes };
}

let mismatches = 0;
for (const group of ['packages', 'examples']) {
  for (const entry of readdirSync(join(root, group)).sort()) {
    const dir = join(root, group, entry);
    if (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'src'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (pkg.private === true) continue;
    const used = new Map();
    const prefixes = [];
    for (const file of sources(join(dir, 'src'))) {
      const { found, prefixes: computed } = importsOf(readFileSync(file, 'utf8'));
      for (const prefix of computed) prefixes.push({ prefix, file: relative(root, file) });
      for (const [name, kind] of found) {
        if (name === pkg.name) continue; // self-reference through the exports map
        const previous = used.get(name);
        if (previous === undefined || (previous.kind === 'type' && kind === 'value')) used.set(name, { kind, file: relative(root, file) });
      }
    }
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
    for (const name of declared) {
      const computed = prefixes.find(({ prefix }) => name.startsWith(prefix));
      if (!used.has(name) && computed) used.set(name, { kind: 'value', file: computed.file, computed: true });
    }
    const problems = [];
    for (const [name, { kind, file }] of [...used].sort()) {
      if (declared.has(name)) continue;
      const where = pkg.devDependencies?.[name] ? ' (only in devDependencies)' : '';
      problems.push(`imports ${name}${kind === 'type' ? ' (types only)' : ''} in ${file} but does not depend on it${where}`);
    }
    for (const name of [...declared].sort()) if (!used.has(name)) problems.push(`depends on ${name} but src/ never imports it`);
    const list = [...used].sort().map(([name, { computed }]) => (computed ? `${name} (computed import)` : name));
    if (problems.length === 0) console.log(`ok    ${pkg.name}: ${list.join(', ') || '(no runtime dependencies)'}`);
    for (const problem of problems) console.log(`FAIL  ${pkg.name}: ${problem}`);
    mismatches += problems.length;
  }
}
console.log(`deps-check: ${mismatches} mismatch${mismatches === 1 ? '' : 'es'}`);
process.exitCode = mismatches === 0 ? 0 : 1;
