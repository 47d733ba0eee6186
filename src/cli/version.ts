import { readFileSync } from 'node:fs';

/**
 * The package's version from package.json, which sits two folders up both from the sources (src/cli/) and from the
 * compiled package (dist/cli/). Read at run time rather than imported, so package.json stays outside tsc's rootDir.
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : 'unknown';
}
