#!/usr/bin/env node
// The `genesys-relay` executable: package.json "bin" points at its compiled form, dist/cli/main-entry.js, so an
// installed CLI starts on plain Node. From a clone, `node --import tsx src/cli/main-entry.ts` runs the sources.
import { main } from './main.ts';

await main(process.argv);
