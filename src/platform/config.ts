import { z } from 'zod';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeIssues } from '../core/errors.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const ConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  dataDir: z.string().min(1).default('./data'),
  seedDir: z.string().min(1).default(join(REPO_ROOT, 'seed')),
  adminEmail: z.email('must be an e-mail address').optional(),
  adminPassword: z.string().min(12, 'must be at least 12 characters').optional(),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  loadHistory: z.boolean().default(true),
  /** Mark cookies Secure. Defaults to true when the public URL is https. */
  publicUrl: z.url('must be a URL like https://stackwatch.example.org').optional(),
  /** Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated); none by default. */
  trustedProxies: z
    .union([z.array(z.string()), z.string()])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[0-9a-fA-F:.]+$/, 'must be IP addresses separated by commas')))
    .default([]),
});
export type Config = z.infer<typeof ConfigSchema>;

const ENV_NAMES: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'STACKWATCH_DATA_DIR',
  seedDir: 'STACKWATCH_SEED_DIR',
  adminEmail: 'STACKWATCH_ADMIN_EMAIL',
  adminPassword: 'STACKWATCH_ADMIN_PASSWORD',
  logLevel: 'STACKWATCH_LOG_LEVEL',
  publicUrl: 'STACKWATCH_PUBLIC_URL',
  trustedProxies: 'STACKWATCH_TRUSTED_PROXIES',
};

export class ConfigError extends Error {}

/** Reads configuration from the environment, overridden by explicit values (CLI flags). Errors name the variable. */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: Partial<Record<keyof Config, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  if (env.STACKWATCH_LOAD_HISTORY !== undefined) raw.loadHistory = !['0', 'false', 'no'].includes(env.STACKWATCH_LOAD_HISTORY);
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  const r = ConfigSchema.safeParse(raw);
  if (!r.success) {
    const d = describeIssues(r.error.issues);
    const named = d.issues.map((i) => `${ENV_NAMES[i.field] ?? i.field}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration — ${named}`);
  }
  return r.data;
}
