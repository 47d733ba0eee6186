import { InvalidArgumentError, type Command } from 'commander';
import { parsePort, runAction } from '../common.ts';
import type { DemoFlags } from './demo-action.ts';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

/** `genesys-relay demo`: emulator + relay + live view in one process; no credentials needed. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('Run the emulator and the relay together with a live view (no credentials needed).')
    .option('--duration-s <n>', 'stop by itself after N seconds (default: run until Ctrl-C)', positive)
    .option('--events-per-second <n>', 'rate of generated events', positive, 5)
    .option('--fault-every-s <n>', 'inject an emulator fault this often; 0 = never', positive, 6)
    .option('--servicenow', 'also deliver to an in-process ServiceNow fake')
    .option('--state-dir <dir>', 'where the outbox, the ndjson output and the log go (default: a new temp dir)')
    .option('--metrics-port <n>', 'serve /metrics, /livez, /readyz on this port', parsePort)
    .option('--sink-outage-every-s <n>', 'take the webhook receiver down this often; 0 = never', positive, 20)
    .option('--sink-outage-s <n>', 'how long each receiver outage lasts', positive, 4)
    // 6 s: a short run (`--duration-s 20`) shows the outage and the outbox draining after it.
    .option('--sink-outage-at-s <n>', 'when the first receiver outage starts', positive, 6)
    .option('--web', "serve the wallboard example (examples/wallboard) on the relay's event stream")
    .option('--web-port <n>', 'port of the wallboard page (default: any free port)', parsePort)
    .action((flags: DemoFlags) =>
      // The emulator, the relay and the live view load only when the demo runs (see run.ts).
      runAction(async () => (await import('./demo-action.ts')).runDemo(flags)),
    );
}
