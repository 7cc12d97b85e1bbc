#!/usr/bin/env node
// Entry point of the `stackwatch` command. The sources are TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli.ts');
const code = await main(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
