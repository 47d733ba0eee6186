import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Gap } from '../../../src/client/index.ts';
import type { FaultSpec } from '../../../src/emulator/index.ts';
import { audit, startEnv, userTopic, waitFor, type Env } from './helpers.ts';

describe('NotificationClient under a sequence of faults', () => {
  let e: Env | undefined;
  after(async () => {
    await e?.close();
  });

  it('never delivers a duplicate, and every lost event falls inside a recorded gap', async () => {
    const topic = userTopic(60);
    e = await startEnv([topic]);
    const env = e;
    const gaps: Gap[] = [];
    env.client.on('gap', (g) => gaps.push(g));
    await env.client.start();
    const publishedAt: number[] = [];
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        env.emu.publish(topic, {});
        publishedAt.push(Date.now());
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const faults: FaultSpec[] = [
      { kind: 'drop' },
      { kind: 'socket-closing' },
      { kind: 'close', code: 1001 },
      { kind: 'socket-closing', warn: false },
      { kind: 'expire-channel' },
      { kind: 'socket-closing' },
      // A silent socket, then dropped before the watchdog fires: the gap must reach back to its last frame.
      { kind: 'zombie' },
      { kind: 'drop' },
    ];
    // How many events had been published at each injection: the load must run across every fault.
    const publishedAtInjection: number[] = [];
    for (const fault of faults) {
      await new Promise((r) => setTimeout(r, 250));
      await waitFor(() => env.client.status().shards[0]?.state === 'open', `open before ${fault.kind}`, 5_000);
      publishedAtInjection.push(publishedAt.length);
      env.emu.fault(fault);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    await waitFor(() => env.client.status().shards[0]?.state === 'open', 'open at the end', 5_000);
    publishing = false;
    await publisher;
    const total = publishedAt.length;
    await new Promise((r) => setTimeout(r, 200));

    const { missing, duplicates } = audit(env.events, topic, total);
    assert.deepEqual(duplicates, [], 'duplicates delivered');
    const slackMs = 50;
    const unexplained = missing.filter((seq) => {
      const at = publishedAt[seq - 1] ?? 0;
      return !gaps.some((g) => at >= g.startAt - slackMs && at <= g.endAt + slackMs);
    });
    assert.deepEqual(
      unexplained,
      [],
      `lost outside any gap (gaps: ${JSON.stringify(gaps.map((g) => [g.startAt, g.endAt, g.reason]))})`,
    );
    assert.ok(gaps.length >= 5, `${gaps.length} gaps for 5 unplanned faults`);
    assert.ok(env.client.counters.rollovers >= 2, 'the two warned socket_closing faults rolled over');
    // Derived from what was published, not a fixed count (a loaded machine slows the publisher down): events were
    // published between every two faults and after the last one, and most of them were delivered.
    const published = [...publishedAtInjection, total];
    const idle = published.slice(1).filter((n, i) => n <= (published[i] ?? 0));
    assert.deepEqual(idle, [], `no event published between two faults (${published.join(', ')})`);
    assert.ok(total - missing.length > total / 2, `${total - missing.length} of ${total} delivered`);
  });
});
