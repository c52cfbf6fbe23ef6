// Rewrites the option table in the root README from packages/cli/src/option-status.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withOptionTable } from '../src/option-table.js';

const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));
writeFileSync(readme, withOptionTable(readFileSync(readme, 'utf8')));
console.log(`option table written to ${readme}`);
