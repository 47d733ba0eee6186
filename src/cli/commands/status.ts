import type { Command } from 'commander';
import { formatDurationMs } from '../../config/duration.ts';
import { errorMessage } from '../../core/errors.ts';
import type { DeadLetter, OutboxStats } from '../../outbox/outbox.ts';
import { openExistingOutbox } from '../../outbox/state-dir.ts';
import { PendingGapFile, pendingGapsPath, type ResyncGap } from '../../resync/index.ts';
import { EXIT_FAILURE, runAction } from '../common.ts';

/** Dead letters listed per sink; `dlq` shows them all. */
const DEAD_SHOWN = 5;

interface StatusFlags {
  stateDir: string;
  metricsUrl?: string;
  json?: boolean;
}

interface ReadyzResult {
  url: string;
  status: number | undefined;
  body: unknown;
}

/** `genesys-relay status`: the outbox of a state dir (depth, dead letters, oldest pending) and, optionally, /readyz. */
export function register(program: Command): void {
  program
    .command('status')
    .description("Show the state dir's outbox (per-sink depth, dead letters, oldest pending) and optionally /readyz.")
    .option('--state-dir <dir>', 'state directory of the relay', './.state')
    .option('--metrics-url <url>', 'base URL of a running relay’s metrics server, e.g. http://127.0.0.1:9464')
    .option('--json', 'print JSON')
    .action((flags: StatusFlags) => runAction(() => showStatus(flags)));
}

async function showStatus(flags: StatusFlags): Promise<number> {
  const outbox = openExistingOutbox(flags.stateDir);
  let stats: OutboxStats;
  let dead: Record<string, DeadLetter[]>;
  try {
    stats = outbox.stats();
    dead = Object.fromEntries(
      stats.sinks.filter((s) => s.dead > 0).map((s) => [s.sink, outbox.listDead(s.sink, DEAD_SHOWN)]),
    );
  } finally {
    outbox.close();
  }
  const readyz = flags.metricsUrl ? await scrapeReadyz(flags.metricsUrl) : undefined;
  // Gaps whose resync has not finished (healed by the running relay, or at the next start): docs/resync.md.
  const resyncPending = new PendingGapFile(pendingGapsPath(flags.stateDir)).load();
  const now = Date.now();
  if (flags.json) {
    const report = { stateDir: flags.stateDir, outbox: stats, deadLetters: dead, readyz, resyncPending };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(
      formatStatus(flags.stateDir, stats, readyz, now) + formatResync(resyncPending, now) + formatDead(dead),
    );
  }
  return readyz && readyz.status !== 200 ? EXIT_FAILURE : 0;
}

function formatStatus(stateDir: string, stats: OutboxStats, readyz: ReadyzResult | undefined, nowMs: number): string {
  const lines = [`state dir: ${stateDir}`, `events stored: ${stats.events} (last seq ${stats.lastSeq})`];
  lines.push('sink            active  pending  inflight  delivered  dead  oldest pending');
  for (const s of stats.sinks) {
    const oldest =
      s.oldestPendingAt === undefined ? '-' : `${formatDurationMs(Math.max(0, nowMs - s.oldestPendingAt))} ago`;
    lines.push(
      `${s.sink.padEnd(15)} ${(s.active ? 'yes' : 'no').padEnd(7)} ${String(s.pending).padStart(7)}  ${String(s.inflight).padStart(8)}  ${String(s.delivered).padStart(9)}  ${String(s.dead).padStart(4)}  ${oldest}`,
    );
  }
  if (stats.sinks.length === 0) lines.push('(no sinks yet)');
  if (readyz) {
    const verdict = readyz.status === 200 ? 'ready' : readyz.status === undefined ? 'unreachable' : 'NOT ready';
    lines.push(`readyz: ${verdict} (${readyz.url}) ${JSON.stringify(readyz.body)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Pending resyncs: how many gaps, and since when the oldest one's events are missing. */
function formatResync(pending: readonly ResyncGap[], nowMs: number): string {
  if (pending.length === 0) return 'gap healing: no resync pending\n';
  const oldest = Math.min(...pending.map((g) => g.startAt));
  const topics = new Set(pending.flatMap((g) => g.topics)).size;
  return `gap healing: ${pending.length} gap(s) pending resync over ${topics} topic(s), oldest from ${formatDurationMs(Math.max(0, nowMs - oldest))} ago\n`;
}

/** The oldest dead letters per sink, with the `dlq` commands that act on them. */
function formatDead(dead: Record<string, DeadLetter[]>): string {
  const lines: string[] = [];
  for (const [sink, letters] of Object.entries(dead)) {
    lines.push(`dead letters of ${sink} (oldest ${letters.length}; see \`genesys-relay dlq --help\`):`);
    for (const d of letters) {
      lines.push(`  ${d.key} ${d.topic} attempts=${d.attempts} error=${(d.lastError ?? '-').slice(0, 120)}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

async function scrapeReadyz(base: string): Promise<ReadyzResult> {
  const url = `${base.replace(/\/+$/, '')}/readyz`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (another server on that port?): show the text as is.
    }
    return { url, status: res.status, body };
  } catch (err) {
    return { url, status: undefined, body: errorMessage(err) };
  }
}
