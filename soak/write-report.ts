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
  const paths = { markdown: join(dir, 'latest.md'), svg: join(dir, 'latest.svg'), json: join(dir, 'latest.json') };
  const startMs = Date.parse(result.startedAt);
  const faults = result.faults.map((f) => ({ t: (f.at - startMs) / 1000, name: f.name, effect: f.effect }));
  const title = `genesys-relay soak: seed ${result.parameters.seed}, ${result.parameters.ratePerSecond} events/s, ${result.faults.length} faults`;
  const outages = result.sinkOutages.map((o) => ({ t: (o.at - startMs) / 1000, durationS: o.durationMs / 1000 }));
  writeFileSync(paths.svg, renderChart({ samples: result.samples, faults, outages, title }));
  writeFileSync(paths.markdown, renderMarkdown(result, 'latest.svg'));
  const compact = { ...result, samples: downsample(result.samples, 300) };
  writeFileSync(paths.json, `${JSON.stringify(compact, null, 1)}\n`);
  return paths;
}
