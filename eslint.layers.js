// @ts-check
// The import layering of src/, enforced by `npm run lint` (eslint-plugin-import-x). One event's path is
// token (auth) → channel (genesys) → socket (session, client) → envelope → outbox → sink; each folder imports only
// the folders listed here, so a stage never reaches the wrong way (the outbox a socket, a sink the outbox), and only
// src/service and src/cli (the composition roots, listed nowhere below) wire stages together.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Folder → the other src/ folders (or single files, for an interface) it may import. */
const ALLOWED = {
  core: [],
  logging: ['core'],
  auth: ['core', 'genesys'],
  genesys: ['core', 'auth'],
  topics: ['core', 'genesys'],
  envelope: ['core', 'genesys'],
  session: ['core', 'genesys', 'envelope', 'topics'],
  client: ['core', 'auth', 'genesys', 'topics', 'envelope', 'session'],
  // A sink knows events and, for its own OAuth, the token interface; never the outbox that feeds it.
  sinks: ['core', 'envelope', 'auth/token-provider.ts'],
  // The outbox stores envelopes and hands them to the sink interface; it never touches a socket or the client.
  outbox: ['core', 'envelope', 'sinks/sink.ts'],
  resync: ['core', 'auth', 'genesys', 'envelope', 'topics'],
  config: ['core', 'genesys', 'logging'],
  coordination: ['core', 'topics'],
  metrics: ['core', 'client', 'outbox', 'coordination', 'resync', 'logging'],
  // The emulator is a stand-in for Genesys: it shares the wire types, nothing of the relay.
  emulator: ['core', 'genesys', 'topics'],
  testing: ['core'],
  // The browser stream reads committed events through the outbox's read interface; it never delivers or settles.
  stream: ['core', 'envelope', 'outbox/outbox.ts'],
  // The browser entry composes the client's shared machine with fetch/WebSocket adapters; nothing Node-only.
  browser: ['core', 'auth/token-provider.ts', 'genesys', 'topics', 'envelope', 'session', 'client'],
};

/** Folders that may import anything in src/ (they wire the stages together). */
const COMPOSITION_ROOTS = ['service', 'cli'];
/** Test-only folders that production code never imports (the CLI hosts `emulator` and `demo`, so it may). */
const TEST_ONLY = ['emulator', 'testing'];

/** @param {string} root the repository root */
export function layeringZones(root) {
  const folders = readdirSync(join(root, 'src')).filter((name) => statSync(join(root, 'src', name)).isDirectory());
  const zones = [];
  for (const folder of folders) {
    const allowed = /** @type {Record<string, string[]>} */ (ALLOWED)[folder];
    if (allowed) {
      zones.push({
        target: `./src/${folder}`,
        from: './src',
        except: [`./${folder}`, ...allowed.map((a) => `./${a}`)],
        message: `src/${folder} may import only ${allowed.join(', ') || 'nothing else in src'} (eslint.layers.js).`,
      });
    } else if (!COMPOSITION_ROOTS.includes(folder)) {
      // A new folder must be given its place in the layering before it can import anything.
      zones.push({
        target: `./src/${folder}`,
        from: './src',
        except: [`./${folder}`, './core'],
        message: `src/${folder} has no entry in eslint.layers.js ALLOWED: add one.`,
      });
    }
    if (!TEST_ONLY.includes(folder) && folder !== 'cli') {
      zones.push({
        target: `./src/${folder}`,
        from: TEST_ONLY.map((f) => `./src/${f}`),
        message: 'Production code never imports the emulator or test kit.',
      });
    }
  }
  return zones;
}
