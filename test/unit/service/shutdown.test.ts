import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/logging/logger.ts';
import { installShutdown } from '../../../src/service/shutdown.ts';

const silent = createLogger({ level: 'silent' });

function signals(): EventEmitter & { emitSignal(s: NodeJS.Signals): void } {
  const emitter = new EventEmitter() as EventEmitter & { emitSignal(s: NodeJS.Signals): void };
  emitter.emitSignal = (s) => emitter.emit(s);
  return emitter;
}

describe('installShutdown', () => {
  it('drains once on SIGTERM and exits 0', async () => {
    const source = signals();
    const calls: number[] = [];
    const exited = new Promise<number>((resolve) => {
      installShutdown({
        relay: {
          close: (o) => {
            calls.push(o.drainTimeoutMs);
            return Promise.resolve();
          },
        },
        logger: silent,
        drainTimeoutMs: 1234,
        source,
        exit: resolve,
      });
    });
    source.emitSignal('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(calls, [1234]);
    assert.equal(source.listenerCount('SIGTERM'), 0);
  });

  it('forces exit 130 on a second signal while draining', () => {
    const source = signals();
    const codes: number[] = [];
    installShutdown({
      relay: { close: () => new Promise(() => {}) },
      logger: silent,
      source,
      exit: (c) => codes.push(c),
    });
    source.emitSignal('SIGINT');
    source.emitSignal('SIGINT');
    assert.deepEqual(codes, [130]);
  });

  it('exits 1 when close fails or overruns its deadline', async () => {
    const source = signals();
    const code = await new Promise<number>((resolve) => {
      installShutdown({
        relay: { close: () => new Promise(() => {}) },
        logger: silent,
        drainTimeoutMs: 10,
        graceMs: 10,
        source,
        exit: resolve,
      });
      source.emitSignal('SIGTERM');
    });
    assert.equal(code, 1);
  });

  it('trigger() runs the same path with a chosen exit code', async () => {
    const code = await new Promise<number>((resolve) => {
      const handle = installShutdown({
        relay: { close: () => Promise.resolve() },
        logger: silent,
        source: signals(),
        exit: resolve,
      });
      handle.trigger('fatal error', 3);
    });
    assert.equal(code, 3);
  });
});
