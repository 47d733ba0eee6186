import type { FaultEffect } from './fault-catalogue.ts';
import type { Sample } from './sampler.ts';
import { downsample } from './stats.ts';

/** What the chart needs: the per-second samples and the fault injections (seconds since the load started). */
export interface ChartInput {
  samples: readonly Sample[];
  faults: readonly { t: number; name: string; effect: FaultEffect }[];
  /** Sink outages, shaded in the lower panel. */
  outages: readonly { t: number; durationS: number }[];
  title: string;
}

interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
}

interface Panel {
  top: number;
  height: number;
  yMax: number;
  yLabel: string;
  series: Series[];
}

const WIDTH = 900;
const LEFT = 60;
const RIGHT = 20;
const PANEL_HEIGHT = 150;
const MAX_POINTS = 300;
const EFFECT_COLOR: Record<FaultEffect, string> = { disruptive: '#d62728', planned: '#2ca02c', benign: '#7f7f7f' };

/**
 * Three stacked panels sharing the time axis, each on its own scale: events/s (published, received, delivered), RSS,
 * and outbox depth with the sink outages shaded; every fault is a tick on each x axis, coloured by what it should do.
 * Hand-written SVG, no dependencies.
 */
export function renderChart(input: ChartInput): string {
  const samples = input.samples;
  const tMax = Math.max(1, samples.at(-1)?.t ?? 1);
  const rates = [
    rateSeries('published/s', '#1f77b4', samples, (s) => s.published),
    rateSeries('received/s', '#ff7f0e', samples, (s) => s.received),
    rateSeries('delivered/s', '#9467bd', samples, (s) => s.delivered),
  ];
  const series = (label: string, color: string, value: (s: Sample) => number): Series[] => [
    { label, color, points: samples.map((s) => ({ x: s.t, y: value(s) })) },
  ];
  const stacked: [string, Series[]][] = [
    ['events/s', rates],
    ['MB', series('RSS MB', '#17becf', (s) => s.rssMb)],
    ['events', series('outbox pending', '#8c564b', (s) => s.outboxPending)],
  ];
  const panels: Panel[] = stacked.map(([yLabel, list], i) => ({
    top: 40 + i * (PANEL_HEIGHT + 50),
    height: PANEL_HEIGHT,
    yMax: niceMax(list),
    yLabel,
    series: list,
  }));
  const height = 40 + panels.length * (PANEL_HEIGHT + 50) + 10;
  const body = [
    renderOutages(panels[2], tMax, input.outages),
    ...panels.map((p) => renderPanel(p, tMax, input.faults)),
  ].join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${LEFT}" y="20" font-size="14">${escapeXml(input.title)}</text>`,
    body,
    renderFaultLegend(height - 14),
    `<text x="${WIDTH - RIGHT}" y="${height - 14}" text-anchor="end">time (s)</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function renderPanel(panel: Panel, tMax: number, faults: ChartInput['faults']): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (t: number): number => LEFT + (t / tMax) * plotWidth;
  const y = (v: number): number => panel.top + panel.height - (Math.min(v, panel.yMax) / panel.yMax) * panel.height;
  const bottom = panel.top + panel.height;
  const parts: string[] = [
    `<rect x="${LEFT}" y="${panel.top}" width="${plotWidth}" height="${panel.height}" fill="none" stroke="#ccc"/>`,
    `<text x="12" y="${panel.top + panel.height / 2}" transform="rotate(-90 12 ${panel.top + panel.height / 2})" text-anchor="middle">${panel.yLabel}</text>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const v = panel.yMax * fraction;
    parts.push(`<text x="${LEFT - 4}" y="${fmt(y(v) + 4)}" text-anchor="end">${fmtValue(v)}</text>`);
  }
  for (const t of ticks(tMax)) parts.push(`<text x="${fmt(x(t))}" y="${bottom + 14}" text-anchor="middle">${t}</text>`);
  for (const fault of faults) {
    parts.push(
      `<line x1="${fmt(x(fault.t))}" y1="${bottom}" x2="${fmt(x(fault.t))}" y2="${bottom - 8}" stroke="${EFFECT_COLOR[fault.effect]}"><title>${escapeXml(fault.name)} at ${fault.t.toFixed(1)} s</title></line>`,
    );
  }
  panel.series.forEach((series, i) => {
    const d = downsample(series.points, MAX_POINTS)
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${fmt(x(p.x))},${fmt(y(p.y))}`)
      .join('');
    parts.push(`<path d="${d}" fill="none" stroke="${series.color}" stroke-width="1.2"/>`);
    parts.push(
      `<text x="${LEFT + 8 + i * 130}" y="${panel.top - 6}" fill="${series.color}">${escapeXml(series.label)}</text>`,
    );
  });
  return parts.join('\n');
}

function renderOutages(panel: Panel | undefined, tMax: number, outages: ChartInput['outages']): string {
  if (!panel) return '';
  const scale = (WIDTH - LEFT - RIGHT) / tMax;
  return outages
    .map(
      (o) =>
        `<rect x="${fmt(LEFT + o.t * scale)}" y="${panel.top}" width="${fmt(Math.max(1, o.durationS * scale))}" height="${panel.height}" fill="#fdd" stroke="none"><title>sink outage ${o.durationS.toFixed(1)} s</title></rect>`,
    )
    .join('\n');
}

function renderFaultLegend(y: number): string {
  const entries = Object.entries(EFFECT_COLOR) as [FaultEffect, string][];
  return entries
    .map(([effect, color], i) => {
      const x0 = LEFT + i * 150;
      return `<line x1="${x0}" y1="${y - 4}" x2="${x0}" y2="${y + 4}" stroke="${color}" stroke-width="2"/><text x="${x0 + 6}" y="${y + 4}">fault: ${effect}</text>`;
    })
    .concat(
      `<rect x="${LEFT + 450}" y="${y - 6}" width="10" height="10" fill="#fdd"/><text x="${LEFT + 464}" y="${y + 4}">sink outage</text>`,
    )
    .join('\n');
}

/** Per-interval rate from cumulative counters. */
export function rateSeries(
  label: string,
  color: string,
  samples: readonly Sample[],
  count: (s: Sample) => number,
): Series {
  const points: Series['points'] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (!a || !b || b.t <= a.t) continue;
    points.push({ x: b.t, y: (count(b) - count(a)) / (b.t - a.t) });
  }
  return { label, color, points };
}

/** A round upper bound above every point (1, 2 or 5 × 10^n). */
function niceMax(series: readonly Series[]): number {
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.y)));
  const magnitude = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * magnitude).find((v) => v >= max) ?? max;
}

function ticks(tMax: number): number[] {
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300].find((s) => tMax / s <= 10) ?? 600;
  const out: number[] = [];
  for (let t = 0; t <= tMax; t += step) out.push(t);
  return out;
}

const fmt = (n: number): string => n.toFixed(1);
const fmtValue = (n: number): string =>
  n >= 1000 ? `${(n / 1000).toFixed(n % 1000 === 0 ? 0 : 1)}k` : String(Math.round(n));

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
