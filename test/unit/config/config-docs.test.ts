import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../../src/cli/main.ts';
import { loadConfig } from '../../../src/config/load.ts';
import {
  MARKDOWN_FILE,
  SCHEMA_FILE,
  buildJsonSchema,
  generate,
  type JsonSchema,
} from '../../../scripts/config-docs.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'relay.example.yaml');

/** Every property of the schema with its dotted path (sink variants and array items included). */
function properties(node: JsonSchema, path = ''): Array<[string, JsonSchema]> {
  const out: Array<[string, JsonSchema]> = [];
  for (const child of [...(node.oneOf ?? []), ...(node.anyOf ?? []), ...(node.items ? [node.items] : [])]) {
    out.push(...properties(child, `${path}[]`));
  }
  for (const [key, property] of Object.entries(node.properties ?? {})) {
    const childPath = path === '' ? key : `${path}.${key}`;
    out.push([childPath, property], ...properties(property, childPath));
  }
  return out;
}

describe('configuration reference (docs/configuration.md, docs/config.schema.json)', () => {
  it('is up to date with src/config (otherwise: npm run docs:config)', async () => {
    const { schema, markdown } = await generate();
    assert.equal(
      readFileSync(SCHEMA_FILE, 'utf8'),
      schema,
      'docs/config.schema.json is stale: run npm run docs:config',
    );
    assert.equal(
      readFileSync(MARKDOWN_FILE, 'utf8'),
      markdown,
      'docs/configuration.md is stale: run npm run docs:config',
    );
  });

  it('describes every option (a JSDoc comment above each field in src/config)', () => {
    const undocumented = properties(buildJsonSchema())
      .filter(([, p]) => !p.description)
      .map(([path]) => path);
    assert.deepEqual(undocumented, []);
  });

  it('names only environment variables the loader reads and flags that `run` has', () => {
    const loader = readFileSync(join(ROOT, 'src', 'config', 'load.ts'), 'utf8');
    const run = buildProgram().commands.find((c: Command) => c.name() === 'run');
    const runFlags = new Set(run?.options.map((o) => o.long));
    for (const [path, p] of properties(buildJsonSchema())) {
      const env = p['x-env'];
      if (typeof env === 'string') assert.ok(loader.includes(`env.${env}`), `${path}: ${env} is not read by load.ts`);
      const flag = p['x-flag'];
      if (typeof flag === 'string') {
        const long = flag.split(' ')[0];
        assert.ok(runFlags.has(long), `${path}: run has no ${String(long)}`);
      }
    }
  });

  it('gives durations and derived defaults the schema cannot carry', () => {
    const schema = buildJsonSchema();
    const heartbeat = schema.properties?.session?.properties?.heartbeatMs;
    assert.equal(heartbeat?.format, 'duration');
    assert.equal(heartbeat?.['x-default'], '30000');
    assert.equal(schema.properties?.genesys?.properties?.clientSecret?.['x-env'], 'GENESYS_CLIENT_SECRET');
  });
});

describe('examples/relay.example.yaml', () => {
  it('is a valid configuration (its secret files given)', () => {
    const example = readFileSync(EXAMPLE, 'utf8');
    const read = (path: string): string => (path === EXAMPLE ? example : `secret-of-${path}`);
    const config = loadConfig({ configFile: EXAMPLE }, { env: {}, readFile: read });
    assert.deepEqual(
      config.sinks.map((s) => s.name),
      ['ndjson', 'hooks', 'servicenow'],
    );
    assert.equal(config.genesys.clientSecret, 'secret-of-/run/secrets/genesys-client-secret');
    assert.equal(config.outbox.retentionMs, 7 * 86_400_000);
  });
});
