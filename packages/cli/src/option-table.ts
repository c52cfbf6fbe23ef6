import { optionRegistry } from '@tunnel/config-parser';
import { OPTION_STATUS } from './option-status.js';

/** The README's option table (Markdown), one row per option the parser knows, in the manual's order. */
export function renderOptionTable(): string {
  const rows = optionRegistry.map((spec) => {
    const status = OPTION_STATUS[spec.name];
    const state = status === undefined ? '**missing**' : status.state;
    const scope = spec.scope === 'both' ? 'global, service' : spec.scope;
    const since =
      spec.since === '5.28'
        ? '5.28'
        : spec.since === 'tunnel'
          ? 'tunnel extension'
          : spec.since === '>5.68'
            ? 'newer than 5.68'
            : `${spec.since} (newer than the spec)`;
    const note = (status?.note ?? '').replace(/\|/g, '\\|');
    return `| \`${spec.name}\` | ${scope} | ${since} | ${state} | ${note} |`;
  });
  return ['| option | section | stunnel | state | notes |', '|---|---|---|---|---|', ...rows].join('\n');
}

const START = '<!-- options:start -->';
const END = '<!-- options:end -->';

/** `readme` with the table between the option markers replaced by the current one. */
export function withOptionTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1 || end < start) throw new Error(`the README has no ${START} … ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${renderOptionTable()}\n${readme.slice(end)}`;
}
