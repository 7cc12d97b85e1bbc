import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { z } from 'zod';
import { VERDICT_KINDS } from '../ooni/model.js';
import { BLOCKPAGES, BLOCK_REDIRECTS } from './blockpages.js';

/** A censorship-lab scenario: simulated sites, what the censor does to each, and the verdict we expect. */

const siteName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a DNS label: lower-case letters, digits and "-"');

export const originSchema = z.strictObject({
  /** serve plain HTTP (port 80) */
  http: z.boolean().default(true),
  /** serve HTTPS (port 443) with a lab-CA certificate */
  https: z.boolean().default(true),
  /** the site itself is down: nothing listens, it never answers, or its name does not exist */
  down: z.enum(['refuse', 'timeout', 'nxdomain']).optional(),
  /** milliseconds before the response headers (server latency) */
  delay_ms: z.number().int().min(0).max(60_000).default(0),
  /** size of the page body */
  body_bytes: z.number().int().min(0).max(64 * 1024 * 1024).default(4096),
  /** send the body in chunks spread over this many milliseconds (a slow server, for everyone) */
  body_ms: z.number().int().min(0).max(60_000).default(0),
  /** never stop sending (an endless body) */
  endless: z.boolean().default(false),
  /** redirect chain before the page: each entry is a path or absolute URL, followed in order */
  redirects: z.array(z.string()).default([]),
  /** redirect http:// to https:// of the same host */
  https_redirect: z.boolean().default(false),
  /** the page requires a cookie set by a redirect (tests the cookie jar) */
  cookie_gate: z.boolean().default(false),
  /** a random token in each response (pages that differ a little on every load) */
  dynamic: z.boolean().default(false),
  /** extra IPv4 addresses for the name that refuse connections for everyone */
  dead_extra_addrs: z.number().int().min(0).max(4).default(0),
});
export type Origin = z.infer<typeof originSchema>;

export const censorSchema = z.strictObject({
  dns: z.enum(['nxdomain', 'empty', 'bogon', 'private', 'localhost', 'blockpage_ip', 'blockpage_ip_ir', 'wrong_ip']).optional(),
  tcp: z.enum(['refuse', 'drop']).optional(),
  /** applies to port 443 when the ClientHello carries this site's name as SNI */
  tls: z.enum(['reset', 'drop', 'rogue_cert', 'wrong_name']).optional(),
  /** applies to plain HTTP (port 80) */
  http: z
    .enum(['status_403', 'body_rewrite', 'empty_200', 'reset', 'redirect_blockpage', ...Object.keys(BLOCKPAGES).map((k) => `blockpage:${k}`), ...Object.keys(BLOCK_REDIRECTS).map((k) => `redirect:${k}`)] as [string, ...string[]])
    .optional(),
  /** bytes per second the censor lets through towards the probe */
  throttle_bps: z.number().int().min(1024).optional(),
});
export type Censor = z.infer<typeof censorSchema>;

export const siteSchema = z.strictObject({
  name: siteName,
  /** path (and query) of the input URL; the host is <name>.lab.test */
  path: z.string().startsWith('/').default('/'),
  scheme: z.enum(['http', 'https']).default('http'),
  origin: originSchema.default(originSchema.parse({})),
  censor: censorSchema.default({}),
  expect: z.enum(VERDICT_KINDS),
  /** the fingerprint the verdict must name, when one applies */
  expect_fingerprint: z.string().optional(),
  note: z.string().optional(),
});
export type Site = z.infer<typeof siteSchema>;

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** probe timeouts inside the lab (short, so a run is quick) */
  timeouts: z
    .strictObject({
      dns_ms: z.number().int().min(50).default(1500),
      tcp_ms: z.number().int().min(50).default(1500),
      tls_ms: z.number().int().min(50).default(1500),
      http_ms: z.number().int().min(50).default(2500),
      th_ms: z.number().int().min(100).default(20000),
    })
    .default({ dns_ms: 1500, tcp_ms: 1500, tls_ms: 1500, http_ms: 2500, th_ms: 20000 }),
  concurrency: z.number().int().min(1).max(1000).default(16),
  sites: z.array(siteSchema).min(1),
});
export type Scenario = z.infer<typeof scenarioSchema>;

export const SHIPPED_SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), 'scenarios', 'shipped.yaml');

export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown;
  try {
    raw = text.trimStart().startsWith('{') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid YAML or JSON: ${(e as Error).message}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`);
  }
  const names = new Set<string>();
  for (const s of parsed.data.sites) {
    if (names.has(s.name)) throw new Error(`${source}: site name "${s.name}" is used twice`);
    names.add(s.name);
  }
  return parsed.data;
}

export function loadScenario(path = SHIPPED_SCENARIOS): Scenario {
  return parseScenario(readFileSync(path, 'utf8'), path);
}

export const LAB_DOMAIN = 'lab.test';
export const siteHost = (s: Site) => `${s.name}.${LAB_DOMAIN}`;
export const siteUrl = (s: Site) => `${s.scheme}://${siteHost(s)}${s.path}`;
