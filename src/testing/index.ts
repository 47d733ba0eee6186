export { ManualClock, flushMicrotasks } from './manual-clock.ts';
