import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendRange, AUTH, event, streamFixture } from './helpers.ts';
import { SseReader } from './sse-reader.ts';

const EVENTS = 10_000;
const PAD = 4_000;
const BATCH = 32;
/** Node's default high-water mark of an HTTP response. */
const SOCKET_HIGH_WATER = 16_384;

describe('browser stream: back-pressure', () => {
  it('a client that never reads does not hold up the outbox or a fast client, and catches up later', async () => {
    const f = await streamFixture({ batchSize: BATCH });
    try {
      const slow = await SseReader.open(f.url(), AUTH, true);
      const fast = await SseReader.open(f.url(), AUTH);
      // ~40 MB flow, far more than the loopback socket buffers of a client that reads nothing.
      await appendRange(f.outbox, 0, EVENTS, (i) => event(i, undefined, PAD));
      assert.equal(f.outbox.stats().lastSeq, EVENTS, 'every append committed while one client was stuck');
      await fast.waitFor((r) => r.seqs().length === EVENTS, 'the fast client gets everything', 120_000);
      assert.deepEqual(
        fast.seqs(),
        Array.from({ length: EVENTS }, (_, i) => i + 1),
      );

      const frameBytes = Buffer.byteLength(fast.events[0]!.data) + 32;
      const stuck = f.server.clients().find((c) => c.cursor < EVENTS);
      assert.ok(stuck, 'the slow client stopped reading the outbox');
      assert.equal(stuck.waitingForDrain, true);
      // What it holds in memory: at most the socket's high-water mark plus one batch, not the 40 MB it missed.
      assert.ok(
        stuck.bufferedBytes <= SOCKET_HIGH_WATER + BATCH * frameBytes,
        `${stuck.bufferedBytes} bytes buffered for the slow client`,
      );

      slow.resume();
      await slow.waitFor((r) => r.seqs().length === EVENTS, 'the slow client catches up from the outbox', 120_000);
      assert.deepEqual(
        slow.seqs(),
        Array.from({ length: EVENTS }, (_, i) => i + 1),
      );
      slow.close();
      fast.close();
    } finally {
      await f.close();
    }
  });
});
