import type { Command } from 'commander';
import { register as registerEmulator } from './emulator.ts';

/**
 * Registers every subcommand. Each command module exports `register(program)`; add new ones to this list.
 */
export function registerCommands(program: Command): void {
  void program;
  registerEmulator(program);
}
