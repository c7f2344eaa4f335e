#!/usr/bin/env node
import { loadCli } from './cli-bundle.mjs';

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
