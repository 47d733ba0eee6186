/** Expands a combined topic (`v2.users.<id>?presence&routingStatus`) into the names its events arrive under. */
export function expandTopic(topic: string): string[] {
  const question = topic.indexOf('?');
  if (question < 0) return [topic];
  const prefix = topic.slice(0, question);
  return topic
    .slice(question + 1)
    .split('&')
    .filter((suffix) => suffix !== '')
    .map((suffix) => `${prefix}.${suffix}`);
}

/** Every expanded name of `topics`, without duplicates, in order. */
export function expandTopics(topics: readonly string[]): string[] {
  return [...new Set(topics.flatMap(expandTopic))];
}

/** `chunk([1,2,3], 2)` → `[[1,2],[3]]`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** JSON with object keys sorted, so equal states have equal fingerprints whatever the key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Epoch ms of an ISO string, or undefined. */
export function instantOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}
