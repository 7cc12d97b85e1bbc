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
  /** the origin's own certificate is bad, for everyone (OONI QA: origin-side TLS faults) */
  tls_fault: z.enum(['expired', 'wrong_name', 'unknown_authority']).optional(),
  /** the page the origin serves to everyone: a normal page, or one with vague blocking words ("Access Denied") */
  page: z.enum(['normal', 'access_denied', 'captcha']).default('normal'),
  /** the origin (its CDN) serves the probe's network a CAPTCHA page instead of the content, over valid HTTPS */
  captcha_for_probe: z.boolean().default(false),
  /** redirect forever between two paths (a loop: everyone gives up after 10 redirects) */
  redirect_loop: z.boolean().default(false),
  /** answer the first request with a 302 and exactly this Location value (malformed ones included) */
  raw_location: z.string().max(500).optional(),
  /** the site has only an IPv6 address (AAAA), served on ::1 */
  ipv6_only: z.boolean().default(false),
});
export type Origin = z.infer<typeof originSchema>;

export const censorSchema = z.strictObject({
  /**
   * DNS answers of the censoring resolver. `chosen`: the address in `dns_ip`; `proxy`: a transparent proxy's
   * address (it forwards to the real site: DNS hijacking that still serves the real content).
   */
  dns: z.enum(['nxdomain', 'empty', 'bogon', 'private', 'localhost', 'blockpage_ip', 'blockpage_ip_ir', 'wrong_ip', 'chosen', 'proxy']).optional(),
  /** the address answered for `dns: chosen` (another lab site's public address, or any other: the ISP's block server) */
  dns_ip: z.ipv4().optional(),
  /** the censor sits on the test helper's path too (or the fault is the origin's): both see the same thing */
  control_too: z.boolean().default(false),
  tcp: z.enum(['refuse', 'drop']).optional(),
  /** applies to port 443 when the ClientHello carries this site's name as SNI */
  tls: z.enum(['reset', 'drop', 'rogue_cert', 'wrong_name']).optional(),
  /** applies to plain HTTP (port 80) */
  http: z
    .enum(['status_403', 'body_rewrite', 'empty_200', 'reset', 'eof', 'stall', 'redirect_blockpage', ...Object.keys(BLOCKPAGES).map((k) => `blockpage:${k}`), ...Object.keys(BLOCK_REDIRECTS).map((k) => `redirect:${k}`)] as [string, ...string[]])
    .optional(),
  /** bytes per second the censor lets through towards the probe */
  throttle_bps: z.number().int().min(1024).optional(),
});
export type Censor = z.infer<typeof censorSchema>;

/** The verdict OONI's analysis must give, in its own terms (blocking / accessible / down / cannot tell). */
export const OONI_OUTCOMES = ['blocking', 'accessible', 'down', 'unknown'] as const;
export type OoniOutcome = (typeof OONI_OUTCOMES)[number];

export const siteSchema = z.strictObject({
  name: siteName,
  /** an internationalised label used in the URL instead of `name` (DNS sees its punycode) */
  idn: z.string().min(1).max(40).optional(),
  /** a port other than 80/443 (1024-65535) in the URL */
  port: z.number().int().min(1024).max(65535).optional(),
  /** the country the measurement is made from (fingerprints are scoped by country); default ZZ */
  probe_cc: z.string().regex(/^[A-Z]{2}$/).optional(),
  /** the test helper fails for this URL: connection reset, HTTP 500, or a truncated JSON answer */
  control: z.enum(['reset', 'http_500', 'bad_json']).optional(),
  /** OONI's verdict (blocking / accessible / down / unknown); defaults from `expect` */
  ooni: z.enum(OONI_OUTCOMES).optional(),
  /** path (and query) of the input URL; the host is <name>.lab.test */
  path: z.string().startsWith('/').default('/'),
  scheme: z.enum(['http', 'https']).default('http'),
  origin: originSchema.default(originSchema.parse({})),
  censor: censorSchema.default({ control_too: false }),
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
  /** body-transfer samples per large page (throttling findings need 3) */
  samples: z.number().int().min(1).max(10).default(3),
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
  for (const [i, s] of parsed.data.sites.entries()) {
    if (names.has(s.name)) throw new Error(`${source}: site name "${s.name}" is used twice`);
    names.add(s.name);
    if (s.censor.dns === 'chosen' && !s.censor.dns_ip) throw new Error(`${source}: sites.${i}.censor.dns_ip: needed with dns: chosen`);
    if (s.idn) {
      try {
        new URL(`http://${s.idn}.${LAB_DOMAIN}/`);
      } catch {
        throw new Error(`${source}: sites.${i}.idn: not a valid host label`);
      }
    }
  }
  return parsed.data;
}

export function loadScenario(path = SHIPPED_SCENARIOS): Scenario {
  return parseScenario(readFileSync(path, 'utf8'), path);
}

export const LAB_DOMAIN = 'lab.test';
/** The host name as DNS sees it (punycode for an IDN label). */
export const siteHost = (s: Site) => (s.idn ? new URL(`http://${s.idn}.${LAB_DOMAIN}/`).hostname : `${s.name}.${LAB_DOMAIN}`);
/** The input URL exactly as a test list would write it (an IDN label in Unicode). */
export const siteUrl = (s: Site) => `${s.scheme}://${s.idn ?? s.name}.${LAB_DOMAIN}${s.port ? `:${s.port}` : ''}${s.path}`;
export const sitePort = (s: Site) => s.port ?? (s.scheme === 'https' ? 443 : 80);

/** The OONI outcome a site declares (or that its expected Stackwatch verdict implies). */
export function ooniOutcome(s: Site): OoniOutcome {
  if (s.ooni) return s.ooni;
  if (s.expect === 'ok' || s.expect === 'throttling') return 'accessible';
  if (s.expect === 'down') return 'down';
  if (s.expect === 'unknown') return 'unknown';
  return 'blocking';
}
