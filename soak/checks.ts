import type { FaultRecord } from './fault-scheduler.ts';
import type { AttributedGap } from './gap-attribution.ts';
import type { LossReport } from './loss-analysis.ts';

/** One pass/fail criterion of the soak. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface CheckInput {
  drained: boolean;
  loss: LossReport;
  appends: { failed: number };
  sink: { deadLettered: number };
  faults: readonly FaultRecord[];
  gaps: readonly AttributedGap[];
  warnedClosing: { injected: number; rolledOver: number; lostInWindows: number };
}

/** The soak's acceptance criteria (issue 5). */
export function evaluateChecks(input: CheckInput): Check[] {
  const { loss, faults } = input;
  const unrecovered = faults.filter((f) => f.recoveredAt === undefined || f.error !== undefined);
  const ungapped = faults.filter((f) => isUnplannedLoss(f) && !input.gaps.some((g) => g.faultIndex === f.index));
  // Dead letters are among the received-but-not-delivered events (they wait in the outbox for `dlq retry`).
  const pipelineLoss = loss.byClass['received-not-delivered'] + input.appends.failed;
  return [
    { name: 'unexplained loss = 0', ok: loss.unexplained === 0, detail: `${loss.unexplained} of ${loss.lost} lost` },
    {
      name: 'duplicates delivered = 0',
      ok: loss.duplicatesDelivered === 0 && loss.receivedTwice === 0,
      detail: `${loss.duplicatesDelivered} delivered twice, ${loss.receivedTwice} handed on twice by the client`,
    },
    {
      name: 'every received event delivered',
      ok: pipelineLoss === 0 && input.drained,
      detail: `${pipelineLoss} received but not delivered (${input.sink.deadLettered} dead-lettered); drained: ${input.drained}`,
    },
    {
      name: '0 loss across warned socket_closing',
      ok: input.warnedClosing.lostInWindows === 0 && input.warnedClosing.rolledOver === input.warnedClosing.injected,
      detail: `${input.warnedClosing.rolledOver}/${input.warnedClosing.injected} rolled over, ${input.warnedClosing.lostInWindows} lost`,
    },
    {
      name: 'recovery after every fault',
      ok: unrecovered.length === 0,
      detail: unrecovered.length === 0 ? `${faults.length} faults` : `unrecovered: ${list(unrecovered)}`,
    },
    {
      name: 'a gap recorded for each unplanned socket loss',
      ok: ungapped.length === 0,
      detail: ungapped.length === 0 ? 'all recorded' : `no gap after: ${list(ungapped)}`,
    },
  ];
}

/** A disruptive fault that reached a socket (the last spec is the one that hits sockets or channels). */
function isUnplannedLoss(fault: FaultRecord): boolean {
  return fault.effect === 'disruptive' && (fault.applied.at(-1) ?? 0) > 0;
}

function list(faults: readonly FaultRecord[]): string {
  return faults.map((f) => `#${f.index} ${f.name}`).join(', ');
}
