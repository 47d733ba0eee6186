import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** Where the soak's outbox lives: on a small tmpfs of its own (disk-full windows possible) or a plain directory. */
export interface OutboxStorage {
  dir: string;
  /** Size of the tmpfs mounted at `dir`, or undefined with `unavailable` saying why (then no disk-full windows). */
  tmpfsMb: number | undefined;
  unavailable: string | undefined;
  release(): void;
}

/**
 * A real small filesystem for the outbox: `mount -t tmpfs -o size=<mb>m` at `dir` (root only). Anywhere else, the
 * plain directory, with the reason disk-full windows cannot run.
 */
export function outboxStorage(dir: string, sizeMb: number): OutboxStorage {
  mkdirSync(dir, { recursive: true });
  const plain = (why: string): OutboxStorage => ({ dir, tmpfsMb: undefined, unavailable: why, release: () => {} });
  if (sizeMb <= 0) return plain('turned off (--tmpfs-mb 0)');
  if (process.getuid?.() !== 0) return plain('mounting a tmpfs needs root');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    return plain(`mount -t tmpfs failed: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  let mounted = true;
  const release = (): void => {
    if (!mounted) return;
    mounted = false;
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  };
  return { dir, tmpfsMb: sizeMb, unavailable: undefined, release };
}
