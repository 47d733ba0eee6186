import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { pgSkip, startPgServer, type PgServer } from '../../helpers/pg-server.ts';
import { readNdjson, sample, spawnCli, waitFor, type CliProcess } from '../cli/helpers.ts';
import { Publisher, connectedChannelsPerTopic, userTopics } from './helpers.ts';

const LEASE_TTL_MS = 2_000;
const RENEW_EVERY_MS = 500;
/** Long enough that, before this change, every lease had passed its local deadline and every shard was dropped. */
const OUTAGE_MS = 3 * LEASE_TTL_MS;
/** 2 topics per channel → 4 shards, 2 per worker. */
const TOPICS = userTopics(8);
const WORKERS = ['w0', 'w1'];

interface LeaseRow {
  shard: string;
  owner: string;
  epoch: string;
  /** Its holder reported the socket open. */
  connected: boolean | null;
}

/** Live leases, over a connection of its own (the server goes away during the test). */
async function liveLeases(url: string): Promise<LeaseRow[]> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rows } = await client.query<LeaseRow>(
      `SELECT shard, owner, epoch::text AS epoch, connected_epoch = epoch AS connected FROM genesys_relay_leases
        WHERE owner IS NOT NULL AND expires_at > now() ORDER BY shard`,
    );
    return rows;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return []; // before the first worker has migrated
    throw err;
  } finally {
    await client.end();
  }
}

interface Probe {
  readyz: number[];
  degradedSeen: Set<number>;
  readyzCoordination: Set<string>;
  /** Why /readyz was not 200, when it was not. */
  notReady: string[];
}

/** Polls one worker's /readyz and its degraded gauge every 100 ms until stopped. */
function probe(base: string): { result: Probe; stop: () => Promise<void> } {
  const result: Probe = { readyz: [], degradedSeen: new Set(), readyzCoordination: new Set(), notReady: [] };
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const ready = await fetch(`${base}/readyz`);
        const body = (await ready.json()) as { coordination?: string; reason?: string };
        result.readyz.push(ready.status);
        if (ready.status !== 200) result.notReady.push(`${Date.now()}: ${ready.status} ${body.reason}`);
        if (body.coordination) result.readyzCoordination.add(body.coordination);
        const degraded = sample(await (await fetch(`${base}/metrics`)).text(), 'genesys_relay_coordination_degraded');
        if (degraded !== undefined) result.degradedSeen.add(degraded);
      } catch (err) {
        result.readyz.push(0); // the worker is gone: not ready either
        result.notReady.push(`${Date.now()}: ${String(err)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    result,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('coordination outage: PostgreSQL stopped and started under 2 running workers', { skip: pgSkip() }, () => {
  let pgServer: PgServer | undefined;
  let emulator: EmulatorHandle | undefined;
  let dir = '';
  const workers = new Map<string, CliProcess>();
  let publisher: Publisher | undefined;
  const stopProbes: Array<() => Promise<void>> = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'genesys-relay-coord-outage-'));
    pgServer = await startPgServer();
    emulator = await startEmulator({ heartbeatMs: 1_000 });
  });

  after(async () => {
    publisher?.stop();
    await Promise.all(stopProbes.map((stop) => stop()));
    for (const w of workers.values()) w.kill('SIGKILL');
    await Promise.all([...workers.values()].map((w) => w.exited));
    await emulator?.close();
    await pgServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps reading: 0 lost, holders stay ready, degraded 1 then 0, the same leases renewed afterwards', async () => {
    assert.ok(pgServer && emulator);
    const db = pgServer;
    const emu = emulator;
    const config = join(dir, 'relay.json');
    writeFileSync(
      config,
      JSON.stringify({
        genesys: { clientId: 'demo', clientSecret: 'demo', apiBase: emu.apiBase, loginBase: emu.loginBase },
        topics: TOPICS,
        session: { heartbeatMs: 1000, maxTopicsPerChannel: 2 },
        coordination: { leaseTtlMs: LEASE_TTL_MS, renewEveryMs: RENEW_EVERY_MS },
        outbox: { pollIntervalMs: 200 },
      }),
    );
    for (const id of WORKERS) {
      const args = ['run', '--config', config, '--coordination-url', db.url, '--worker-id', id];
      const out = [
        '--state-dir',
        join(dir, id),
        '--sink',
        `ndjson:${join(dir, `${id}.ndjson`)}`,
        '--metrics-port',
        '0',
      ];
      workers.set(id, spawnCli([...args, ...out], { GENESYS_CLIENT_ID: undefined, GENESYS_CLIENT_SECRET: undefined }));
    }
    let publishedAt = 0;
    let haltedAt = 0;
    const diagnose = (): string =>
      `published from ${publishedAt}, halted at ${haltedAt}\n` +
      [...workers].map(([id, w]) => `--- ${id}\n${w.stderr.slice(-20).join('\n')}`).join('\n');
    // A generous start-up bound: two workers compile the sources with tsx at once on a possibly loaded 2-core machine.
    const bases = await Promise.all(
      [...workers.values()].map(async (w) => {
        const line = await w.waitForStderr(/"msg":"metrics listening"/, 60_000);
        return (JSON.parse(line) as { url: string }).url;
      }),
    );
    const before = await waitFor(
      async () => {
        const leases = await liveLeases(db.url);
        const even = WORKERS.every((id) => leases.filter((l) => l.owner === id).length === 2);
        // Every holder connected and one socket per topic: the start-up handovers are over, not just begun.
        const settled =
          leases.every((l) => l.connected) && connectedChannelsPerTopic(emu, TOPICS).every((n) => n === 1);
        return even && settled ? leases : undefined;
      },
      'each worker holding 2 shards, connected, with one socket per topic',
      30_000,
    ).catch((err: Error) => assert.fail(`${err.message}\n${diagnose()}`));

    const pub = new Publisher(emu, TOPICS);
    publisher = pub;
    pub.start(50);
    publishedAt = Date.now();
    await sleep(1_000);
    const probes = bases.map((base) => probe(base));
    stopProbes.push(...probes.map((p) => p.stop));

    // The outage: every store call fails; nobody can take a shard over, so every worker keeps what it holds.
    haltedAt = Date.now();
    await db.halt();
    await sleep(Math.max(0, haltedAt + OUTAGE_MS - Date.now()));
    const channels = connectedChannelsPerTopic(emu, TOPICS);
    assert.ok(
      channels.every((n) => n >= 1),
      `every topic still read ${OUTAGE_MS} ms into the outage: ${channels.join()}\n${diagnose()}`,
    );
    assert.ok(
      probes.every((p) => p.result.degradedSeen.has(1)),
      'genesys_relay_coordination_degraded 1 on both workers during the outage',
    );

    const startedAt = Date.now();
    await db.start();
    await waitFor(async () => {
      const texts = await Promise.all(bases.map(async (base) => (await fetch(`${base}/metrics`)).text()));
      return texts.every((t) => sample(t, 'genesys_relay_coordination_degraded') === 0) ? true : undefined;
    }, 'genesys_relay_coordination_degraded 0 on both workers');
    // Reconciled without a handover: the holders renewed the leases they kept (same owner, same epoch).
    const reconciled = await waitFor(async () => {
      const leases = await liveLeases(db.url);
      return leases.length === before.length ? leases : undefined;
    }, 'every lease live again');
    assert.deepEqual(reconciled, before, diagnose());

    await sleep(1_000);
    pub.stop();
    const end = pub.snapshot();
    const lost = await waitFor(
      () => {
        const gaps = missingSequences(dir, end);
        return gaps.length === 0 ? gaps : undefined;
      },
      'every published event in the workers’ NDJSON files',
      20_000,
    ).catch((err: Error) =>
      assert.fail(`${err.message}: missing ${missingSequences(dir, end).join(' ')}\n${diagnose()}`),
    );
    assert.deepEqual(lost, []);
    await Promise.all(probes.map((p) => p.stop()));

    for (const [i, id] of WORKERS.entries()) {
      const { result } = probes[i] ?? assert.fail();
      const w = workers.get(id) ?? assert.fail();
      assert.ok(result.readyz.length >= 5, `${id}: probed ${result.readyz.length} times`);
      assert.deepEqual(
        [...new Set(result.readyz)],
        [200],
        `${id}: /readyz left 200 while it read its shards: ${result.notReady.join('; ')}`,
      );
      assert.ok(result.readyzCoordination.has('degraded'), `${id}: /readyz never said coordination degraded`);
      assert.deepEqual([...result.degradedSeen].sort(), [0, 1], `${id}: degraded gauge`);
      const events = (name: string) => w.stderr.filter((line) => line.includes(`"event":"${name}"`));
      // One warn line per transition (not per failed call; a store call slower than its deadline on a loaded machine
      // is a transition too, so the count is not fixed): degraded during the outage, recovered after it.
      const times = (name: string) => events(name).map((l) => (JSON.parse(l) as { time: number }).time);
      const [degraded, recovered] = [times('coordination.degraded'), times('coordination.recovered')];
      const transitions = `${id}: degraded at ${degraded.join()}, recovered at ${recovered.join()}`;
      assert.equal(degraded.length, recovered.length, transitions);
      assert.ok(
        degraded.some((t) => t >= haltedAt && t <= startedAt),
        transitions,
      );
      assert.ok(recovered.some((t) => t >= startedAt) && Math.max(...recovered) > Math.max(...degraded), transitions);
      assert.ok(
        [...events('coordination.degraded'), ...events('coordination.recovered')].every((l) =>
          l.includes('"level":40'),
        ),
        `${id}: transitions at warn`,
      );
      assert.deepEqual(events('shard.lost'), [], `${id}: no shard lost`);
      assert.deepEqual(events('gap'), [], `${id}: no gap recorded`);
    }
  });
});

/** `topic#sequence` of every published event that neither worker's NDJSON file holds. */
function missingSequences(dir: string, published: ReadonlyMap<string, number>): string[] {
  const seen = new Set<string>();
  for (const id of WORKERS) {
    for (const line of readNdjson(join(dir, `${id}.ndjson`))) {
      const metadata = line.metadata as { emulatorSequence?: unknown } | undefined;
      seen.add(`${String(line.topicName).toLowerCase()}#${String(metadata?.emulatorSequence)}`);
    }
  }
  const out: string[] = [];
  for (const [topic, last] of published) {
    for (let s = 1; s <= last; s++) if (!seen.has(`${topic.toLowerCase()}#${s}`)) out.push(`${topic}#${s}`);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
