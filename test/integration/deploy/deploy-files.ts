// Readers for the deployment files (Dockerfile, compose, Kubernetes, systemd) and for what the real CLI accepts,
// so the deploy tests can cross-check one against the other.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { CLI_FROM_SOURCE } from '../cli/helpers.ts';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

export function repoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

export interface DockerInstruction {
  op: string;
  args: string;
  /** 0 for the first FROM's stage, 1 for the next, … */
  stage: number;
}

/** Dockerfile instructions with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  let stage = -1;
  return logical.map((line) => {
    const [op = '', ...rest] = line.split(/\s+/);
    if (op.toUpperCase() === 'FROM') stage++;
    return { op: op.toUpperCase(), args: rest.join(' '), stage };
  });
}

/** An exec-form (JSON array) argument, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  const value: unknown = JSON.parse(args);
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

/** `[Section]` → key → values (a key may repeat). */
export type SystemdUnit = Map<string, Map<string, string[]>>;

export function parseSystemdUnit(text: string): SystemdUnit {
  const unit: SystemdUnit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1] ?? '', section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`not a unit line: ${line}`);
    const key = line.slice(0, eq);
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

export function yamlFile(path: string): unknown {
  return parseYaml(repoFile(path), { merge: true }); // compose uses << merge keys
}

export function yamlDocuments(path: string): unknown[] {
  return parseAllDocuments(repoFile(path)).map((doc) => doc.toJS() as unknown);
}

/** `genesys-relay <command> --help` from the sources: the flags and environment variables the real CLI knows. */
export function cliHelp(command: string): { flags: Set<string>; text: string } {
  const result = spawnSync(process.execPath, [...CLI_FROM_SOURCE, command, '--help'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} --help exited ${result.status}: ${result.stderr}`);
  return { flags: new Set(result.stdout.match(/--[a-z][a-z-]*/g) ?? []), text: result.stdout };
}

/** The flags (`--x`) of an argv, and the value after each one that takes a value. */
export function flagsOf(argv: readonly string[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  argv.forEach((arg, i) => {
    if (!arg.startsWith('--')) return;
    const next = argv[i + 1];
    out.set(arg, next === undefined || next.startsWith('--') ? undefined : next);
  });
  return out;
}

/** Seconds of a compose/systemd duration such as `60s`, `1m30s` or `60`. */
export function seconds(value: string | number): number {
  if (typeof value === 'number') return value;
  let total = 0;
  for (const [, n = '0', unit = 's'] of value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?/g)) {
    total += Number(n) * ({ ms: 0.001, s: 1, min: 60, m: 60, h: 3600 }[unit] ?? 1);
  }
  return total;
}

/** Narrows parsed YAML: a mapping, or a failing assertion naming what was expected. */
export function obj(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: not a mapping`);
  return value as Record<string, unknown>;
}

export function arr(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: not a list`);
  return value;
}

export function str(value: unknown, what: string): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`${what}: not a string`);
  return String(value);
}
