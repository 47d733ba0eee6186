import type { Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { EXIT_FAILURE, addConfigOptions, loadFromFlags, runAction, type ConfigFlags } from '../common.ts';
import type { CheckResult } from '../doctor-checks.ts';

const MARK: Record<CheckResult['status'], string> = { ok: '✓', warn: '!', fail: '✗' };

/** `genesys-relay doctor`: checks credentials, token, API, topics and permissions against the target org. */
export function register(program: Command): void {
  const command = program
    .command('doctor')
    .description('Check credentials, token, API reachability and topic permissions, and say what to fix.');
  addConfigOptions(command, ['topic', 'stateDir']).action((flags: ConfigFlags) =>
    runAction(async () => {
      // Loaded on use: the checks pull in the HTTP client and the topic planner, which --help does not need.
      const { runDoctorChecks } = await import('../doctor-checks.ts');
      const results = await runDoctorChecks(loadFromFlags(flags), systemClock);
      process.stdout.write(formatChecklist(results));
      return results.some((r) => r.status === 'fail') ? EXIT_FAILURE : 0;
    }),
  );
}

export function formatChecklist(results: readonly CheckResult[]): string {
  const lines = ['genesys-relay doctor'];
  for (const r of results) {
    lines.push(`  ${MARK[r.status]} ${r.title}: ${r.detail}`);
    for (const note of r.notes ?? []) lines.push(`      - ${note}`);
    if (r.fix && r.status !== 'ok') lines.push(`      fix: ${r.fix}`);
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  lines.push(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
  return `${lines.join('\n')}\n`;
}
