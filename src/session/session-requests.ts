import { withDeadline } from '../core/abort.ts';
import { errorMessage, NetworkError, RelayError } from '../core/errors.ts';
import type { SessionDeps } from './session.ts';
import { classifyFailure } from './close-policy.ts';
import type { SessionEvent } from './events.ts';
import type { SessionChannel } from './state.ts';
import type { TopicSync } from './topic-sync.ts';

/**
 * The session's REST steps. Each runs under a deadline and an AbortController; `abortAll()` cancels them and
 * silences their outcome (the reducer has already moved on). Outcomes come back as reducer events.
 */
export class SessionRequests {
  private readonly controllers = new Set<AbortController>();

  constructor(
    private readonly deps: SessionDeps,
    private readonly dispatch: (event: SessionEvent) => void,
  ) {}

  createChannel(gate: ((signal: AbortSignal) => Promise<void>) | undefined, tokenMustOutlive?: number): void {
    const { api, clock, random, config } = this.deps;
    this.run(
      config.createTimeoutMs,
      'channel creation',
      async (signal): Promise<SessionChannel> => {
        if (gate) await gate(signal);
        const options = tokenMustOutlive === undefined ? {} : { tokenMustOutlive };
        const channel = await api.createChannel(signal, options);
        const now = clock.now();
        const ttlMs = Math.max(1, channel.expiresAt - now);
        if (channel.tokenExpiresAt === undefined) return { ...channel, ttlMs };
        return { ...channel, ttlMs, tokenTtlMs: Math.max(0, channel.tokenExpiresAt - now) };
      },
      (channel) => ({ type: 'channelCreated', channel }),
      (error) => ({ type: 'channelCreateFailed', error, jitter: random() }),
    );
  }

  subscribe(channel: SessionChannel, topics: TopicSync): void {
    const { api, random, config, ignoreErrors, hooks } = this.deps;
    const { topics: list, version } = topics.snapshot();
    this.run(
      config.subscribeTimeoutMs,
      'subscription',
      (signal) => api.replaceSubscriptions(channel.id, list, { ignoreErrors, signal }),
      (result) => {
        if (result.rejected.length > 0) hooks.onRejectedTopics(result.rejected, channel.id);
        topics.applied(version);
        return { type: 'subscribed', channelId: channel.id };
      },
      (error) => {
        if (classifyFailure(error) === 'fatal') topics.failed(version, error);
        return { type: 'subscribeFailed', channelId: channel.id, error, jitter: random() };
      },
    );
  }

  checkChannel(channel: SessionChannel): void {
    const { api, random, config } = this.deps;
    this.run(
      config.checkTimeoutMs,
      'channel check',
      (signal) => api.channelExists(channel.id, signal),
      (exists) => ({ type: 'channelChecked', channelId: channel.id, exists }),
      (error) => ({ type: 'channelCheckFailed', channelId: channel.id, error, jitter: random() }),
    );
  }

  abortAll(): void {
    for (const controller of this.controllers) controller.abort();
    this.controllers.clear();
  }

  private run<T>(
    timeoutMs: number,
    what: string,
    work: (signal: AbortSignal) => Promise<T>,
    ok: (value: T) => SessionEvent,
    fail: (error: RelayError) => SessionEvent,
  ): void {
    const controller = new AbortController();
    this.controllers.add(controller);
    const settle = (make: () => SessionEvent): void => {
      const cancelled = !this.controllers.delete(controller);
      controller.abort();
      if (!cancelled) this.dispatch(make());
    };
    withDeadline(work(controller.signal), timeoutMs, this.deps.clock, what)
      .then(
        (value) => settle(() => ok(value)),
        (err: unknown) => settle(() => fail(toRelayError(err))),
      )
      .catch((err: unknown) => this.deps.hooks.onDiagnostic('error', `${what}: ${errorMessage(err)}`, {}));
  }
}

function toRelayError(err: unknown): RelayError {
  return err instanceof RelayError ? err : new NetworkError(errorMessage(err), { cause: err });
}
