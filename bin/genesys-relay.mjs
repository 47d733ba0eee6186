#!/usr/bin/env node
// Entry point for `genesys-relay`. The sources are TypeScript run through tsx's loader,
// so `npm ci` is the only build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
