import type { Command } from 'commander';
import { register as registerEmulator } from './emulator.ts';
import { register as registerDoctor } from './doctor.ts';
import { register as registerTopics } from './topics.ts';
import { register as registerStatus } from './status.ts';
import { register as registerRun } from './run.ts';
import { register as registerDemo } from './demo.ts';
import { register as registerReplay } from './replay.ts';
import { register as registerDlq } from './dlq.ts';
import { register as registerOutbox } from './outbox.ts';
import { register as registerConfig } from './config.ts';

/**
 * Registers every subcommand. Each command module exports `register(program)`; add new ones to this list.
 */
export function registerCommands(program: Command): void {
  void program;
  registerEmulator(program);
  registerDoctor(program);
  registerTopics(program);
  registerStatus(program);
  registerRun(program);
  registerDemo(program);
  registerReplay(program);
  registerDlq(program);
  registerOutbox(program);
  registerConfig(program);
}
