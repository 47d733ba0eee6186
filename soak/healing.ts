/**
 * Gap healing as the soak sees it (issue 11): of the entities that lost at least one event in a gap, how many ended
 * with their final state delivered (the last state the sink received, live or resync, equals the state the
 * emulator ended with), and how many of those by a resync event.
 *
 * The relay's resync emits nothing when the re-read state equals the last state delivered ("state unchanged",
 * docs/resync.md): such an entity is healed without a resync event (e.g. a presence that went Away and back to
 * Available inside the gap), so it counts as healed, not by resync. An entity not healed is explained only by a
 * topic no strategy heals (the resync's `unhealed` record names it) or by a resync that gave up on a gap covering
 * its topic (`resync.failed`); anything else is a resync bug.
 */

/** One entity that lost events in gaps: its final state at the emulator and the last state delivered. */
export interface EntityFate {
  entity: string;
  topic: string;
  /** Its events lost in gaps (loss classes `no-socket` and `dying-socket`). */
  lostInGap: number;
  /** Digest of the state the emulator ended with; undefined when no strategy identifies the topic's states. */
  finalState: string | undefined;
  /** The last state the sink received for it, in delivery order. */
  delivered: { state: string; source: 'notification' | 'resync' } | undefined;
}

export interface HealingContext {
  /** True for a topic some resync strategy heals. */
  hasStrategy(topic: string): boolean;
  /** Lower-cased topics of the gaps whose resync gave up (`resync.failed`). */
  failedTopics: ReadonlySet<string>;
}

export type NotHealedReason = 'no-strategy' | 'resync-failed' | 'unexplained';

export interface HealingSample {
  entity: string;
  topic: string;
  lostInGap: number;
  /** What the sink holds instead of the final state. */
  delivered: 'nothing' | 'an older live state' | 'an older resync state';
}

export interface HealingReport {
  /** Events lost in gaps, over all entities. */
  lostEvents: number;
  /** M: entities with at least one event lost in a gap. */
  entities: number;
  /** N: of those, the ones whose last delivered state is their final state. */
  healed: number;
  /** K: of the healed, the ones whose final state came from a resync event. */
  byResync: number;
  notHealed: Record<NotHealedReason, number>;
  /** Up to 20 entities not healed without an explanation. */
  unexplainedSamples: HealingSample[];
}

export function analyseHealing(fates: Iterable<EntityFate>, ctx: HealingContext): HealingReport {
  const report: HealingReport = {
    lostEvents: 0,
    entities: 0,
    healed: 0,
    byResync: 0,
    notHealed: { 'no-strategy': 0, 'resync-failed': 0, unexplained: 0 },
    unexplainedSamples: [],
  };
  for (const fate of fates) {
    if (fate.lostInGap <= 0) continue;
    report.entities++;
    report.lostEvents += fate.lostInGap;
    const { delivered } = fate;
    if (fate.finalState !== undefined && delivered?.state === fate.finalState) {
      report.healed++;
      if (delivered.source === 'resync') report.byResync++;
      continue;
    }
    const reason = whyNotHealed(fate, ctx);
    report.notHealed[reason]++;
    if (reason === 'unexplained' && report.unexplainedSamples.length < 20) report.unexplainedSamples.push(sample(fate));
  }
  return report;
}

function whyNotHealed(fate: EntityFate, ctx: HealingContext): NotHealedReason {
  if (!ctx.hasStrategy(fate.topic) || fate.finalState === undefined) return 'no-strategy';
  if (ctx.failedTopics.has(fate.topic.toLowerCase())) return 'resync-failed';
  return 'unexplained';
}

function sample(fate: EntityFate): HealingSample {
  const delivered =
    fate.delivered === undefined
      ? 'nothing'
      : fate.delivered.source === 'resync'
        ? 'an older resync state'
        : 'an older live state';
  return { entity: fate.entity, topic: fate.topic, lostInGap: fate.lostInGap, delivered };
}

/** The report line: "N of M entities whose events were lost in gaps ended with their final state delivered (K …)". */
export function healingLine(h: HealingReport): string {
  return (
    `${h.healed} of ${h.entities} entities whose events were lost in gaps ended with their final state delivered ` +
    `(${h.byResync} of them by resync)`
  );
}
