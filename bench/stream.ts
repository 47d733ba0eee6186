/**
 * Browser stream resume (issue 12): a stream client drops for 10 s while 1,000 events/s are committed to a real
 * outbox, then reconnects with its Last-Event-ID. Figures: events missing and repeated (goal: 0 and 0), and how long
 * the resumed stream took to deliver the backlog committed while it was away.
 * Run alone: node --import tsx bench/stream.ts
 */
import { pathToFileURL } from 'node:url';
import { runResumeScenario } from '../test/integration/stream/resume-scenario.ts';

export async function run(): Promise<Record<string, number>> {
  const r = await runResumeScenario({ ratePerSecond: 1_000, beforeMs: 2_000, offMs: 10_000, afterMs: 2_000 });
  return {
    'resume.rate_per_s': 1_000,
    'resume.away_s': 10,
    'resume.published': r.published,
    'resume.published_while_away': r.publishedWhileAway,
    'resume.missing': r.missing,
    'resume.repeated': r.repeated,
    'resume.catch_up_ms': r.catchUpMs,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
}
