// A separate process that holds a state dir lock with a fast heartbeat, for state-dir-lock-takeover.test.ts.
// argv: <stateDir> <hostname> <heartbeatIntervalMs>. Prints `locked`, then `lost: <reason>` (exit 3) if taken over.
import { acquireStateDirLock } from '../../../src/service/state-dir-lock.ts';

const [stateDir = '', hostname = '', interval = '100'] = process.argv.slice(2);
const lock = acquireStateDirLock(stateDir, {
  hostname,
  heartbeatIntervalMs: Number(interval),
  onLost: (reason) => {
    process.stdout.write(`lost: ${reason}\n`);
    process.exit(3);
  },
});
process.stdout.write('locked\n');
process.once('SIGTERM', () => {
  lock.release();
  process.exit(0);
});
