/**
 * `npm run bench`: runs every bench/<name>.ts (each exports `run(): Promise<Record<string, number | string>>`),
 * one after another so they do not compete for the two cores, and writes the figures to
 * bench/results/latest.json and bench/results/latest.md.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Figures = Record<string, number | string>;
interface BenchModule {
  run: () => Promise<Figures>;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

const out = join(here, 'results');
// A subset (npm run bench -- delivery) updates its own sections and keeps the others' last figures, each dated.
const results: Record<string, Figures> = only.length > 0 ? previousResults(join(out, 'latest.json')) : {};
for (const name of names) {
  const mod = (await import(join(here, `${name}.ts`))) as BenchModule;
  process.stderr.write(`bench ${name}…\n`);
  const started = Date.now();
  try {
    const figures = await mod.run();
    results[name] = {
      ...figures,
      'bench.duration_s': (Date.now() - started) / 1000,
      'bench.at': new Date().toISOString(),
    };
  } catch (err) {
    results[name] = { error: err instanceof Error ? err.message : String(err) };
  }
  process.stderr.write(`${JSON.stringify(results[name])}\n`);
}

// The 1-minute load average at the end: figures taken on a busy machine are not comparable with a quiet one's.
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()[0]?.toFixed(1) ?? '?'}`;
mkdirSync(out, { recursive: true });
const report = { at: new Date().toISOString(), machine, results };
writeFileSync(join(out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
const lines = [`# Benchmark results`, '', `${report.at} on ${machine}`, ''];
for (const [name, figures] of Object.entries(results)) {
  lines.push(`## ${name}`, '', '| figure | value |', '| --- | --- |');
  for (const [k, v] of Object.entries(figures)) lines.push(`| ${k} | ${typeof v === 'number' ? round(v) : v} |`);
  lines.push('');
}
writeFileSync(join(out, 'latest.md'), lines.join('\n'));
console.log(lines.join('\n'));

function previousResults(path: string): Record<string, Figures> {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { results?: Record<string, Figures> }).results ?? {};
  } catch {
    return {};
  }
}

function round(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) >= 100 ? 0 : 2);
}
