// Lists the public packages of the workspace (packages/*, examples/*), one JSON line each:
// {"dir":"packages/core","name":"@tunnel/core","version":"0.0.0","bin":{...}}.
// Private packages (tools/*) are never published, so they are never packed.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
for (const group of ['packages', 'examples']) {
  for (const entry of readdirSync(join(root, group)).sort()) {
    const file = join(root, group, entry, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (pkg.private === true) continue;
    console.log(JSON.stringify({ dir: `${group}/${entry}`, name: pkg.name, version: pkg.version, bin: pkg.bin ?? null }));
  }
}
