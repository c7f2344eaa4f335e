#!/usr/bin/env node
// The CLI is written in TypeScript and shares utils/ with the extension; tsx compiles it on the fly
// so the checkout works with no separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
