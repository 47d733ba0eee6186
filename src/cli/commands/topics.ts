import type { Command } from 'commander';
import { RefreshingTokenProvider } from '../../auth/refreshing-token-provider.ts';
import { requireCredentials } from '../../config/load.ts';
import { errorMessage } from '../../core/errors.ts';
import { resolveEndpoints } from '../../genesys/regions.ts';
import { GenesysRestClient } from '../../genesys/rest-client.ts';
import { expandTopic, parseSubscribableTopic, planShards } from '../../topics/index.ts';
import { EXIT_FAILURE, addConfigOptions, loadFromFlags, runAction, type ConfigFlags } from '../common.ts';

interface ListFlags extends ConfigFlags {
  filter?: string;
  json?: boolean;
}

/** `genesys-relay topics list | validate`. */
export function register(program: Command): void {
  const topics = program.command('topics').description('List the topics the org offers, or check topic names locally.');
  addConfigOptions(topics.command('list'), [])
    .description('List available topics (GET /api/v2/notifications/availabletopics) with required permissions.')
    .option('--filter <text>', 'only topics whose id contains this text')
    .option('--json', 'print JSON instead of text')
    .action((flags: ListFlags) => runAction(() => listTopics(flags)));
  addConfigOptions(topics.command('validate'), ['topic'])
    .description('Check topic names offline: syntax, combined-topic expansion, and the channel (shard) plan.')
    .argument('[topics...]', 'topics to check (default: the configured topics)')
    .action((args: string[], flags: ConfigFlags) => runAction(() => Promise.resolve(validateTopics(args, flags))));
}

async function listTopics(flags: ListFlags): Promise<number> {
  const config = requireCredentials(loadFromFlags(flags));
  const { apiBase, loginBase } = resolveEndpoints(config.genesys.region, {
    ...(config.genesys.apiBase ? { apiBase: config.genesys.apiBase } : {}),
    ...(config.genesys.loginBase ? { loginBase: config.genesys.loginBase } : {}),
  });
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase,
    clientId: config.genesys.clientId,
    clientSecret: config.genesys.clientSecret,
    maxAttempts: 2,
  });
  const rest = new GenesysRestClient({ apiBase, tokens });
  try {
    const all = await rest.availableTopics(['requiresPermissions']);
    const filter = flags.filter?.toLowerCase();
    const shown = filter ? all.filter((t) => t.id.toLowerCase().includes(filter)) : all;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    }
    for (const t of shown.sort((a, b) => a.id.localeCompare(b.id))) {
      const perms = t.requiresPermissions?.length ? `  [${t.requiresPermissions.join(', ')}]` : '';
      process.stdout.write(`${t.id}${perms}\n`);
    }
    process.stdout.write(`${shown.length} topic(s)\n`);
    return 0;
  } finally {
    tokens.close();
    await rest.close();
  }
}

function validateTopics(args: readonly string[], flags: ConfigFlags): number {
  const config = loadFromFlags(flags);
  const topics = args.length > 0 ? args : config.topics;
  if (topics.length === 0) {
    process.stderr.write(
      'genesys-relay: no topics given; pass them as arguments, with --topic, or in the config file\n',
    );
    return EXIT_FAILURE;
  }
  const valid: string[] = [];
  let invalid = 0;
  for (const topic of topics) {
    try {
      const parsed = parseSubscribableTopic(topic);
      valid.push(parsed.name);
      const expanded = parsed.kind === 'combined' ? ` → ${expandTopic(parsed.name).join(', ')}` : '';
      process.stdout.write(`✓ ${parsed.name}${expanded}\n`);
    } catch (err) {
      invalid++;
      process.stdout.write(`✗ ${topic}: ${errorMessage(err)}\n`);
    }
  }
  if (valid.length > 0) {
    try {
      const shards = planShards(valid, { maxTopicsPerChannel: config.session.maxTopicsPerChannel });
      const sizes = shards.map((s, i) => `channel ${i + 1}: ${s.length}`).join(', ');
      process.stdout.write(`plan: ${shards.length} channel(s) (${sizes})\n`);
    } catch (err) {
      invalid++;
      process.stdout.write(`✗ plan: ${errorMessage(err)}\n`);
    }
  }
  return invalid > 0 ? EXIT_FAILURE : 0;
}
