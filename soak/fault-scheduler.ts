import type { EmulatorHandle } from '../src/emulator/index.ts';
import { FAULT_VARIANTS, type FaultEffect, type FaultTarget, type FaultVariant } from './fault-catalogue.ts';
import type { ClientObserver } from './observer.ts';
import type { Prng } from './prng.ts';

/** One injected fault and what became of it. */
export interface FaultRecord {
  index: number;
  name: string;
  effect: FaultEffect;
  at: number;
  /** The channel hit, or undefined for every channel. */
  channelId: string | undefined;
  /** Targets the emulator applied each spec to (0: nothing to apply to, e.g. no socket at that instant). */
  applied: number[];
  /** Shards expected to lose their socket (or roll over): 1 when one channel is hit, else every connected one. */
  expectedShards: number;
  /** When the expected effect (a disruption, a rollover) was seen; undefined if it never showed. */
  effectAt: number | undefined;
  /** First event handed on after every shard was live again; undefined if recovery never came. */
  recoveredAt: number | undefined;
  recoveryMs: number | undefined;
  /** The fault could not be injected (the control API refused it). */
  error?: string;
}

export interface SchedulerOptions {
  meanIntervalMs: number;
  minIntervalMs: number;
  coverAllKinds: boolean;
  /** How long an expected effect may take to show (the client's stale detection is the slowest). */
  effectTimeoutMs: number;
  /** How long recovery may take before the fault is recorded as unrecovered. */
  recoveryTimeoutMs: number;
  canaryTopic: string;
  pongTimeoutMs: number;
  log: (line: string) => void;
}

/**
 * Injects faults one after another: waits a random (exponential) interval, waits for every shard to be live so that
 * each fault hits a healthy relay and its recovery can be measured on its own, injects it, then waits for its effect
 * and its recovery. The first round covers every variant in a seeded shuffle.
 */
export class FaultScheduler {
  readonly records: FaultRecord[] = [];
  private stopped = false;
  private wakeSleep: (() => void) | undefined;
  private readonly usedOnce = new Set<string>();
  private coverage: FaultVariant[];

  constructor(
    private readonly emulator: EmulatorHandle,
    private readonly observer: ClientObserver,
    private readonly random: Prng,
    private readonly options: SchedulerOptions,
  ) {
    this.coverage = options.coverAllKinds ? shuffle([...FAULT_VARIANTS], random) : [];
  }

  /** Runs until stop(); resolves once the fault in progress has finished. */
  async run(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(Math.max(this.options.minIntervalMs, this.random.exponential(this.options.meanIntervalMs)));
      if (this.stopped) break;
      await this.observer.until(() => this.stopped || this.observer.allLive(), this.options.recoveryTimeoutMs);
      if (this.stopped) break;
      await this.injectOne(this.nextVariant());
    }
  }

  /** Every variant has been injected at least once (always true when coverAllKinds is off). */
  get covered(): boolean {
    return this.coverage.length === 0;
  }

  stop(): void {
    this.stopped = true;
    this.wakeSleep?.();
  }

  private nextVariant(): FaultVariant {
    const covering = this.coverage.shift();
    if (covering) return covering;
    const candidates = FAULT_VARIANTS.filter((v) => !(v.once && this.usedOnce.has(v.name)));
    return this.random.pick(candidates);
  }

  private async injectOne(variant: FaultVariant): Promise<void> {
    if (variant.once) this.usedOnce.add(variant.name);
    const record = this.inject(variant);
    this.records.push(record);
    this.options.log(`fault #${record.index} ${variant.name}${record.channelId ? ` on ${record.channelId}` : ''}`);
    if (record.error !== undefined) return;
    record.effectAt = await this.awaitEffect(record);
    record.recoveredAt = await this.awaitRecovery(record.effectAt ?? record.at);
    if (record.recoveredAt !== undefined) record.recoveryMs = record.recoveredAt - record.at;
  }

  private inject(variant: FaultVariant): FaultRecord {
    const connected = this.emulator.state().channels.filter((c) => c.connected && !c.zombie);
    // Both draws are always taken, so the fault sequence of a seed does not depend on timing.
    const coin = this.random.next();
    const which = this.random.next();
    const one = variant.targetable && connected.length > 0 && coin < 0.5;
    const target: FaultTarget = {
      channelId: one ? connected[Math.floor(which * connected.length)]?.id : undefined,
      canaryTopic: this.options.canaryTopic,
      pongTimeoutMs: this.options.pongTimeoutMs,
    };
    const record: FaultRecord = {
      index: this.records.length + 1,
      name: variant.name,
      effect: variant.effect,
      at: Date.now(),
      channelId: target.channelId,
      applied: [],
      expectedShards: one ? 1 : connected.length,
      effectAt: undefined,
      recoveredAt: undefined,
      recoveryMs: undefined,
    };
    try {
      for (const spec of variant.specs(target)) record.applied.push(this.emulator.fault(spec).applied);
    } catch (err) {
      record.error = err instanceof Error ? err.message : String(err);
    }
    return record;
  }

  /**
   * Disruptive: every expected shard stopped being live; planned: every expected shard rolled over; benign: nothing
   * to wait for. Waiting for all of them (stale detection is staggered by the ping timers) keeps a late disruption
   * from being charged to the next fault. Returns when the last one happened, or undefined if some never did.
   */
  private async awaitEffect(record: FaultRecord): Promise<number | undefined> {
    const { at, expectedShards } = record;
    if (record.effect === 'benign' || expectedShards === 0) return undefined;
    const times = (): number[] =>
      (record.effect === 'planned' ? this.observer.rollovers : this.observer.disruptions)
        .filter((d) => d.at >= at)
        .map((d) => d.at);
    const ok = await this.observer.until(() => times().length >= expectedShards, this.options.effectTimeoutMs);
    return ok ? Math.max(...times().slice(0, expectedShards)) : undefined;
  }

  /** Recovered = every shard live again and an event handed on after that (and after `since`). */
  private async awaitRecovery(since: number): Promise<number | undefined> {
    const ok = await this.observer.until(
      () =>
        this.observer.allLive() &&
        this.observer.lastEventAt >= since &&
        this.observer.lastEventAt >= this.observer.allLiveSince,
      this.options.recoveryTimeoutMs,
    );
    return ok ? this.observer.lastEventAt : undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }
}

function shuffle<T>(items: T[], random: Prng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
