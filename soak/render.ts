/**
 * Re-renders latest.md and latest.svg from latest.json, e.g. after a change to the report's layout, without running
 * the soak again: `node --import tsx soak/render.ts [DIR]` (default soak/results).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SoakResult } from './result.ts';
import { renderReport } from './write-report.ts';

const dir = process.argv[2] ?? 'soak/results';
// The file is this tool's own output (writeReport), so its shape is SoakResult.
const result = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as SoakResult;
const written = renderReport(result, dir);
console.log(`rendered ${written.markdown} and ${written.svg}`);
