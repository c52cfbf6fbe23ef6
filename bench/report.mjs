// Turns bench/run.sh's samples (figure, who, metric, value per line) into the Markdown table of medians.
// Usage: node bench/report.mjs results.tsv MACHINE SUBJECT RUNKIND
import { readFileSync } from 'node:fs';

const [file, machine, subject, kind] = process.argv.slice(2);
const figures = new Map(); // figure -> metric -> who -> values[]
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (line === '') continue;
  const [figure, who, metric, value] = line.split('\t');
  if (!figures.has(figure)) figures.set(figure, new Map());
  const metrics = figures.get(figure);
  if (!metrics.has(metric)) metrics.set(metric, new Map());
  const byWho = metrics.get(metric);
  if (!byWho.has(who)) byWho.set(who, []);
  byWho.get(who).push(value);
}

const median = (sorted) => {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (n) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** Median with min-max, or the distinct values for text; undefined when there is nothing. */
function summary(values) {
  if (values === undefined || values.length === 0) return { text: '', median: undefined };
  const numbers = values.map(Number);
  if (numbers.some((n) => !Number.isFinite(n))) return { text: [...new Set(values)].join(', '), median: undefined };
  const sorted = numbers.sort((a, b) => a - b);
  const m = median(sorted);
  const range = sorted.length > 1 ? ` (${fmt(sorted[0])}–${fmt(sorted[sorted.length - 1])})` : '';
  return { text: `${fmt(m)}${range}`, median: m };
}

// Which way is better, so a reader sees at a glance who wins a row.
const higherIsBetter = (metric) => /MB\/s|handshakes\/s|resumed/.test(metric);
const lowerIsBetter = (metric) => /CPU s\/GiB|CPU µs|p50|p99|RSS KiB/.test(metric);

const out = [];
out.push(`Machine: ${machine}. Subject: ${subject}. Run: ${kind}.`);
out.push('');
out.push('⚠ shared CPU: other processes used more than 10 % of the proxy CPU during that figure; do not quote it.');
out.push('');
out.push('| figure | metric | tunnel | stunnel4 | tunnel ÷ stunnel | no proxy (baseline) |');
out.push('|---|---|---|---|---|---|');
// A figure is flagged when other processes took more than 10 % of the proxy's CPU during its runs (medians):
// on a shared core the scheduler splits time per thread, which favours a proxy with a thread per connection.
const noisy = (metrics) => {
  const other = metrics.get('other work on proxy CPU 0 %');
  if (other === undefined) return false;
  return ['tunnel', 'stunnel'].some((who) => (summary(other.get(who)).median ?? 0) > 10);
};
for (const [figure, metrics] of figures) {
  const label = noisy(metrics) ? `${figure} ⚠ shared CPU` : figure;
  for (const [metric, byWho] of metrics) {
    const t = summary(byWho.get('tunnel'));
    const s = summary(byWho.get('stunnel'));
    let ratio = '';
    if (t.median !== undefined && s.median !== undefined && s.median !== 0) {
      const r = t.median / s.median;
      // Within 3% is a tie on a shared machine.
      const tie = Math.abs(r - 1) <= 0.03;
      const wins = higherIsBetter(metric) ? r > 1 : lowerIsBetter(metric) ? r < 1 : undefined;
      ratio = `${r.toFixed(2)}${wins === undefined ? '' : tie ? ' (even)' : wins ? ' (tunnel better)' : ' (stunnel better)'}`;
    }
    const base = ['direct plain', 'direct TLS']
      .filter((who) => byWho.has(who))
      .map((who) => `${who.replace('direct ', '')}: ${summary(byWho.get(who)).text}`)
      .join('; ');
    out.push(`| ${label} | ${metric} | ${t.text} | ${s.text} | ${ratio} | ${base} |`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);
