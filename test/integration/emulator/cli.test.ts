import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// Only the emulator command is registered, so this test does not depend on the other commands' modules.
const SCRIPT = `
import { Command } from 'commander';
import { register } from ${JSON.stringify(fileURLToPath(new URL('../../../src/cli/commands/emulator.ts', import.meta.url)))};
const program = new Command('genesys-relay');
register(program);
await program.parseAsync(process.argv.slice(1), { from: 'user' });
`;

describe('emulator: CLI command', () => {
  it('prints one JSON line with the three bases, serves, and exits 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        SCRIPT,
        'emulator',
        '--port',
        '0',
        '--heartbeat-ms',
        '50',
        '--client',
        'ops:pw',
        '--token-ttl-s',
        '100',
        '--no-channels-end-with-token',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await once(lines, 'line')) as [string];
      const bases = JSON.parse(first) as Record<string, string>;
      assert.deepEqual(Object.keys(bases), ['apiBase', 'loginBase', 'controlBase']);
      assert.match(bases.apiBase ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      const token = await fetch(`${bases.loginBase}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('ops:pw').toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.status, 200, 'the --client flag adds a client');
      const { access_token: bearer } = (await token.json()) as { access_token: string };
      const created = await fetch(`${bases.apiBase}/api/v2/notifications/channels`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}` },
      });
      const { expires } = (await created.json()) as { expires: string };
      // --no-channels-end-with-token: the channel keeps its 24 h although its token lives 100 s.
      assert.ok(Date.parse(expires) - Date.now() > 3_600_000, `channel expires ${expires}`);
      const state = await fetch(`${bases.controlBase}/control/state`);
      assert.equal(state.status, 200);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, stderr);
      assert.match(stderr, /emulator ready/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
