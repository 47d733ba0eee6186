import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart } from './report-svg.ts';
import { renderMarkdown } from './report-md.ts';
import type { SoakResult } from './result.ts';
import { downsample } from './stats.ts';

export interface WrittenReport {
  markdown: string;
  svg: string;
  json: string;
}

/** Writes latest.md, latest.svg and latest.json into `dir`; the JSON keeps at most 300 samples. */
export function writeReport(result: SoakResult, dir: string): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  writeFileSync(json, formatJson({ ...result, samples: downsample(result.samples, 300) }));
  return { ...renderReport(result, dir), json };
}

/** One line per top-level field and per array element: small, yet readable and diffable. */
export function formatJson(result: SoakResult): string {
  const fields = Object.entries(result).map(([key, value]) => {
    const name = JSON.stringify(key);
    if (!Array.isArray(value) || value.length === 0) return `  ${name}: ${JSON.stringify(value)}`;
    return `  ${name}: [\n${value.map((item) => `    ${JSON.stringify(item)}`).join(',\n')}\n  ]`;
  });
  return `{\n${fields.join(',\n')}\n}\n`;
}

/** Writes latest.md and latest.svg from a result (also one read back from latest.json, see render.ts). */
export function renderReport(result: SoakResult, dir: string): Omit<WrittenReport, 'json'> {
  const paths = { markdown: join(dir, 'latest.md'), svg: join(dir, 'latest.svg') };
  const startMs = Date.parse(result.startedAt);
  const faults = result.faults.map((f) => ({ t: (f.at - startMs) / 1000, name: f.name, effect: f.effect }));
  const outages = result.sinkOutages.map((o) => ({ t: (o.at - startMs) / 1000, durationS: o.durationMs / 1000 }));
  const { seed, ratePerSecond } = result.parameters;
  const title = `genesys-relay soak: seed ${seed}, ${ratePerSecond} events/s, ${result.faults.length} faults`;
  writeFileSync(paths.svg, renderChart({ samples: result.samples, faults, outages, title }));
  writeFileSync(paths.markdown, renderMarkdown(result, 'latest.svg'));
  return paths;
}
