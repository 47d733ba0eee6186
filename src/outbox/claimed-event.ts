import type { RelayEvent } from '../envelope/envelope.ts';
import type { ClaimedEvent } from './outbox.ts';

/** A claimed row that parses its stored JSON only when a sink asks for the event (serialise once, issue 10). */
export class StoredClaimedEvent implements ClaimedEvent {
  #event: RelayEvent | undefined;

  constructor(
    readonly seq: number,
    readonly attempts: number,
    readonly payload: string,
    readonly receivedAt: number,
  ) {}

  get event(): RelayEvent {
    this.#event ??= JSON.parse(this.payload) as RelayEvent;
    return this.#event;
  }
}
