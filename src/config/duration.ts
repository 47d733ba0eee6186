/**
 * Human durations → milliseconds. The only place where a duration string becomes a number: everything after
 * config loading works in `…Ms`.
 */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;

/**
 * Parses `250`, `'250'` (milliseconds), `'250ms'`, `'30s'`, `'5m'`, `'1.5h'`, `'7d'`.
 * Returns undefined for anything else (negative, empty, unknown unit) so the caller can name the field.
 */
export function parseDurationMs(input: Duration): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input) : undefined;
  const match = PATTERN.exec(input.trim().toLowerCase());
  if (!match?.[1]) return undefined;
  const value = Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1);
  return Number.isFinite(value) ? Math.round(value) : undefined;
}

/** Formats milliseconds compactly for messages and `status`: `1500` → `1.5s`, `90000` → `1m30s`. */
export function formatDurationMs(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  const totalS = Math.round(ms / 1_000);
  const h = Math.floor(totalS / 3_600);
  const m = Math.floor((totalS % 3_600) / 60);
  const s = totalS % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${s > 0 || (h === 0 && m === 0) ? `${s}s` : ''}`;
}
