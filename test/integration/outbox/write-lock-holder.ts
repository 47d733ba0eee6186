import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const holdLockFixture = fileURLToPath(new URL('./fixtures/hold-write-lock.ts', import.meta.url));

/**
 * A second process takes SQLite's write lock on `path` and keeps it `ms` (fixtures/hold-write-lock.ts); resolves once
 * it holds the lock, with a promise of its release and the process.
 */
export async function holdWriteLock(
  path: string,
  ms: number,
): Promise<{ released: Promise<void>; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', holdLockFixture, path, String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const seen = (word: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => void (out.includes(word) && resolve());
      child.stdout.on('data', (chunk: string) => ((out += chunk), check()));
      child.on('exit', (code) => (out.includes(word) ? resolve() : reject(new Error(`lock holder exited ${code}`))));
    });
  const released = seen('released');
  released.catch(() => undefined);
  await seen('locked');
  return { released, child };
}
