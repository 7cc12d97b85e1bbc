import type { CliCommand } from '../core/cli-kit.js';

/** Sub-commands of this wing, registered in src/cli.ts. */
export const commands: CliCommand[] = [];
