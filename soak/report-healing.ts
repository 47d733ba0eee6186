import { healingLine, type HealingReport } from './healing.ts';
import type { SoakResult } from './result.ts';

/** The gap-healing section of latest.md: the issue 11 line, then how the resync got there. */
export function healingSection(r: SoakResult): string {
  const { healing: h, resync } = r;
  // latest.json files from before gap healing was soaked have neither.
  if ((h as HealingReport | undefined) === undefined) return '';
  const counts = (record: Record<string, number>): string =>
    Object.entries(record)
      .map(([name, n]) => `${name} ${n}`)
      .join(', ') || '0';
  const samples = h.unexplainedSamples.map((s) => `| ${s.entity} | ${s.topic} | ${s.lostInGap} | ${s.delivered} |`);
  return `## Gap healing (resync)

**${healingLine(h)}.** ${h.lostEvents} events were lost in gaps (no socket, or a dying one). An entity is healed when
the last state the sink received for it, live or resync, in delivery order, is the state the emulator ended with
(compared by the resync strategy's fingerprint). One whose re-read state equalled what was already delivered gets
no resync event (the relay emits only changes, docs/resync.md) and counts as healed, not by resync.

| | |
|---|---|
| not healed: topic without a strategy / resync gave up / unexplained | ${h.notHealed['no-strategy']} / ${h.notHealed['resync-failed']} / **${h.notHealed.unexplained}** |
| resync runs: gaps healed / unhealed / failed, retries | ${resync.healed} / ${resync.unhealed} / ${resync.failed}, ${resync.retries} |
| REST reads by the resync | ${resync.requests} |
| resync events committed / delivered | ${counts(resync.emitted)} / ${resync.eventsDelivered} |
| re-read states equal to the last delivered (not emitted) | ${counts(resync.unchanged)} |
| gaps still pending after the drain | ${resync.pendingAtEnd} |
${resync.unhealedTopics.length > 0 ? `\nTopics an \`unhealed\` record named: ${resync.unhealedTopics.join(', ')}\n` : ''}${
    samples.length > 0
      ? `\nNot healed, unexplained (first ${samples.length}):\n\n| Entity | Topic | Lost in gaps | The sink holds |\n|---|---|---|---|\n${samples.join('\n')}\n`
      : ''
  }`;
}
