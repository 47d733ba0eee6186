import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emulatorWithEnv, spawnCli, tempDir, waitFor } from '../cli/helpers.ts';
import { presenceBody, userId } from './rig.ts';

/** Waits that a 2-core CI at load average 20 needs (a CLI start alone took 20 s there); not a speed bound. */
const LOADED_CI_MS = 60_000;

const USERS = Array.from({ length: 60 }, (_, i) => userId(i));
const QUEUE_TOPIC = 'v2.routing.queues.queue-0001.conversations';
const SHARDS = 16;
const GAPS = 2 * SHARDS;
/** Genesys' budget: ~300 requests a minute per token (genesys-resync.md §3), the emulator's default too. */
const BUDGET_PER_MINUTE = 300;
/**
 * Reads one resync of this topic set needs: 2 bulk presence + 2 users?id (routing) + 2 details queries (active
 * conversations, then ended ones).
 */
const READS_PER_RESYNC = 6;

type Line = {
  topicName: string;
  eventBody: { presenceDefinition?: { systemPresence: string } };
  relay: { source?: string };
};

function lines(path: string): Line[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

describe('gap storm through the CLI', () => {
  it('32 gaps in a minute (two blips over 16 channels) cost a handful of coalesced resyncs, stay within the request budget and end in the final state', async (t) => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const ndjson = join(dir, 'events.ndjson');
    const config = join(dir, 'relay.yaml');
    const topics = [...USERS.map((u) => `v2.users.${u}?presence&routingStatus`), QUEUE_TOPIC];
    writeFileSync(
      config,
      [
        `topics: [${topics.map((t) => `"${t}"`).join(', ')}]`,
        // 16 shards (channels), so that one network blip is 16 gaps at once.
        'session: { maxTopicsPerChannel: 4 }',
        'resync: { delayMs: 2s }',
        `sinks: [{ type: ndjson, path: "${ndjson}" }]`,
      ].join('\n'),
    );
    const cli = spawnCli(['run', '--config', config, '--state-dir', join(dir, 'state')], env);
    try {
      await cli.waitForStderr(/"state":"open"/, LOADED_CI_MS);
      const connected = (): number => emulator.state().channels.filter((c) => c.connected).length;
      const startedAt = Date.now();
      const before = emulator.state().counters.apiRequests;
      // Two network blips 16 channels wide: 32 gaps within seconds; 10 users change presence during each.
      for (const round of [0, 1]) {
        await waitFor(() => (connected() === SHARDS ? true : undefined), `all ${SHARDS} sockets open`, LOADED_CI_MS);
        emulator.fault({ kind: 'drop' });
        for (let i = round * 10; i < round * 10 + 10; i++) {
          emulator.publish(`v2.users.${USERS[i] ?? ''}.presence`, presenceBody(i % 2 ? 'Busy' : 'Away', Date.now()));
        }
      }
      const gapLines = (): number => cli.stderr.filter((l) => l.includes('"event":"gap"')).length;
      await waitFor(() => (gapLines() >= GAPS ? true : undefined), `${GAPS} gaps recorded`, LOADED_CI_MS);
      await waitFor(
        () => (cli.stderr.filter((l) => l.includes('"event":"resync.gap"')).length >= GAPS ? true : undefined),
        `a resync.gap audit line for each of the ${GAPS} gaps`,
        LOADED_CI_MS,
      ).catch((err: unknown) => {
        const audits = cli.stderr.filter((l) => /"event":"(gap|resync\.[a-z]+)"/.test(l));
        throw new Error(`${String(err)}\n${audits.map((l) => l.slice(0, 300)).join('\n')}`);
      });
      const elapsedMin = Math.max(1, (Date.now() - startedAt) / 60_000);
      const { totalReads } = (await (await fetch(`${emulator.controlBase}/control/resync-state`)).json()) as {
        totalReads: number;
      };
      const apiRequests = emulator.state().counters.apiRequests - before;
      const runs = new Set(
        cli.stderr
          .filter((l) => l.includes('"event":"resync.gap"'))
          .map((l) => (JSON.parse(l) as { runId: string }).runId),
      );
      t.diagnostic(`${GAPS} gaps → ${runs.size} resync runs, ${totalReads} reads; ${apiRequests} API requests in all`);
      assert.ok(runs.size < GAPS / 2, `gaps coalesced: ${runs.size} runs for ${GAPS} gaps`);
      assert.ok(totalReads <= runs.size * READS_PER_RESYNC, `${totalReads} reads for ${runs.size} runs`);
      assert.ok(apiRequests <= BUDGET_PER_MINUTE * elapsedMin, `${apiRequests} API requests in ${elapsedMin} min`);
      assert.equal(emulator.state().counters.rateLimited, 0, 'the emulator never had to refuse a request');
      // Whether live or re-read, the last line per changed user holds its final presence.
      const last = new Map<string, string | undefined>();
      for (const l of lines(ndjson)) last.set(l.topicName, l.eventBody.presenceDefinition?.systemPresence);
      for (let i = 0; i < 20; i++) {
        assert.equal(
          last.get(`v2.users.${USERS[i] ?? ''}.presence`),
          i % 2 ? 'Busy' : 'Away',
          `final state of user ${i}`,
        );
      }
      cli.kill('SIGTERM');
      assert.equal((await cli.exited).code, 0);
    } finally {
      cli.kill();
      await emulator.close();
      cleanup();
    }
  });
});
