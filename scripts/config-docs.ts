/**
 * Generates the configuration reference from the one zod schema (src/config/schema.ts):
 *   docs/config.schema.json  z.toJSONSchema of what a config file may contain, with each field's description
 *   docs/configuration.md    every option with its type, default, environment variable and flag
 * Descriptions, defaults the JSON Schema cannot carry (durations, derived values), `Env:` and `CLI:` come from the
 * JSDoc comment above each field in src/config/*.ts, so the schema stays the single source.
 *
 *   npm run docs:config            writes both files
 *   npm run docs:config -- --check exits 1 when they are stale (test/unit/config/config-docs.test.ts does the same)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import ts from 'typescript';
import { z } from 'zod';
import { relayConfigSchema } from '../src/config/schema.ts';
import { renderMarkdown } from './config-docs-markdown.ts';

const ROOT = join(import.meta.dirname, '..');
const SOURCES = ['schema.ts', 'coordination.ts', 'nats-sink-schema.ts'].map((f) => join(ROOT, 'src', 'config', f));
export const SCHEMA_FILE = join(ROOT, 'docs', 'config.schema.json');
export const MARKDOWN_FILE = join(ROOT, 'docs', 'configuration.md');

export interface FieldDoc {
  description: string;
  /** The `@default` text, when the comment has one. */
  defaultText?: string;
  env?: string;
  flag?: string;
}

/** The documented fields of one `z.object({…})` literal in the sources. */
interface ObjectDoc {
  keys: string[];
  fields: Map<string, FieldDoc>;
}

export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  [key: string]: unknown;
}

/** Parses a JSDoc block (`/** … *\/`) into description, @default, Env: and CLI:. */
export function parseJsDoc(block: string): FieldDoc {
  const text = block
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const [body = '', ...tags] = text.split(/\s@(?=default\b)|^@(?=default\b)/);
  const defaultText = tags
    .join(' ')
    .replace(/^default\s*/, '')
    .trim();
  const env = /\bEnv: ([A-Z][A-Z0-9_]+)/.exec(body)?.[1];
  const flag = /\b(?:CLI|Flag): (--[a-z-]+(?: [a-z]+:[A-Z_]+)?)/.exec(body)?.[1];
  return {
    description: body.trim(),
    ...(defaultText !== '' ? { defaultText } : {}),
    ...(env ? { env } : {}),
    ...(flag ? { flag } : {}),
  };
}

/** Every `z.object({…})` literal of the config sources with the JSDoc of its properties (spreads resolved). */
export function extractObjectDocs(files: readonly string[] = SOURCES): ObjectDoc[] {
  const out: ObjectDoc[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (isZodObjectCall(node)) {
        const literal = node.arguments[0];
        if (literal && ts.isObjectLiteralExpression(literal)) out.push(documentLiteral(literal, source, text));
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

function isZodObjectCall(node: ts.Node): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === 'object'
  );
}

function documentLiteral(literal: ts.ObjectLiteralExpression, source: ts.SourceFile, text: string): ObjectDoc {
  const fields = new Map<string, FieldDoc>();
  for (const property of literal.properties) {
    if (ts.isSpreadAssignment(property)) {
      const spread = resolveLiteral(property.expression, source);
      if (spread) for (const [key, doc] of documentLiteral(spread, source, text).fields) fields.set(key, doc);
      continue;
    }
    const name = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name));
    if (!name || !property.name) continue;
    fields.set(property.name.text, jsDocOf(property, text));
  }
  return { keys: [...fields.keys()], fields };
}

/** `...sinkBase`: the object literal the identifier was declared with, in the same file. */
function resolveLiteral(expression: ts.Expression, source: ts.SourceFile): ts.ObjectLiteralExpression | undefined {
  if (!ts.isIdentifier(expression)) return undefined;
  let found: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === expression.text) {
      if (node.initializer && ts.isObjectLiteralExpression(node.initializer)) found = node.initializer;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function jsDocOf(node: ts.Node, text: string): FieldDoc {
  const blocks = (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [])
    .map((range) => text.slice(range.pos, range.end))
    .filter((comment) => comment.startsWith('/**'));
  const last = blocks.at(-1);
  return last === undefined ? { description: '' } : parseJsDoc(last);
}

/** The JSON Schema of a config file, each property annotated from its JSDoc. */
export function buildJsonSchema(docs: readonly ObjectDoc[] = extractObjectDocs()): JsonSchema {
  const schema = z.toJSONSchema(relayConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  annotate(schema, docs);
  return {
    $schema: schema.$schema,
    $id: 'https://github.com/genesys-relay/genesys-relay/docs/config.schema.json',
    title: 'genesys-relay configuration',
    description: 'A genesys-relay config file (YAML or JSON): `genesys-relay run --config FILE`. See configuration.md.',
    ...schema,
  };
}

function annotate(node: JsonSchema, docs: readonly ObjectDoc[]): void {
  for (const child of [...(node.oneOf ?? []), ...(node.anyOf ?? []), ...(node.items ? [node.items] : [])]) {
    annotate(child, docs);
  }
  const properties = node.properties;
  if (!properties) return;
  const keys = Object.keys(properties);
  const owner = docs.find((d) => d.keys.length === keys.length && keys.every((k) => d.keys.includes(k)));
  for (const [key, property] of Object.entries(properties)) {
    const doc = owner?.fields.get(key);
    if (doc) {
      property.description = describe(doc, property);
      if (doc.defaultText !== undefined && property.default === undefined) property['x-default'] = doc.defaultText;
      if (doc.env) property['x-env'] = doc.env;
      if (doc.flag) property['x-flag'] = doc.flag;
    }
    if (isDuration(property)) property.format = 'duration';
    annotate(property, docs);
  }
}

function describe(doc: FieldDoc, property: JsonSchema): string {
  const parts = [doc.description];
  if (doc.defaultText !== undefined && property.default === undefined) parts.push(`Default: ${doc.defaultText}.`);
  return parts
    .filter((p) => p !== '')
    .join(' ')
    .replace(/\.\./g, '.');
}

/** Duration fields take a number of ms or a string such as '30s' (config/duration.ts). */
function isDuration(property: JsonSchema): boolean {
  const type = property.type;
  return Array.isArray(type) && type.length === 2 && type.includes('number') && type.includes('string');
}

/** Both generated files' contents, formatted as the repository's prettier config would. */
export async function generate(): Promise<{ schema: string; markdown: string }> {
  const schema = buildJsonSchema();
  const options = (await resolveConfig(MARKDOWN_FILE)) ?? {};
  return {
    schema: await format(JSON.stringify(schema), { ...options, parser: 'json' }),
    markdown: await format(renderMarkdown(schema), { ...options, parser: 'markdown' }),
  };
}

async function main(args: readonly string[]): Promise<void> {
  const { schema, markdown } = await generate();
  const targets: Array<[string, string]> = [
    [SCHEMA_FILE, schema],
    [MARKDOWN_FILE, markdown],
  ];
  if (args.includes('--check')) {
    const stale = targets.filter(([file, text]) => readIfExists(file) !== text).map(([file]) => file);
    if (stale.length > 0) {
      process.stderr.write(`stale: ${stale.join(', ')}; run npm run docs:config\n`);
      process.exitCode = 1;
    }
    return;
  }
  for (const [file, text] of targets) writeFileSync(file, text);
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

if (import.meta.filename === process.argv[1]) await main(process.argv.slice(2));
