import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from './csv.js';

/** Where the shipped OONI blocking fingerprints live (copied from github.com/ooni/blocking-fingerprints). */
export const SEED_MEASUREMENT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'seed', 'measurement');

export type PatternType = 'contains' | 'prefix' | 'full' | 'regexp';

export interface HttpFingerprint {
  name: string;
  scope: string;
  /** 'body' or 'header.<lower-case name>' */
  location: string;
  patternType: PatternType;
  pattern: string;
  regexp?: RegExp;
  countries: string[];
}

export interface DnsFingerprint {
  name: string;
  scope: string;
  ip: string;
  countries: string[];
}

export interface FingerprintDb {
  http: HttpFingerprint[];
  dns: Map<string, DnsFingerprint>;
  /** Rows that could not be used (bad location, type or regexp), with the reason. */
  skipped: { name: string; reason: string }[];
}

const PATTERN_TYPES = new Set(['contains', 'prefix', 'full', 'regexp']);

export function parseFingerprints(httpCsv: string, dnsCsv: string): FingerprintDb {
  const skipped: FingerprintDb['skipped'] = [];
  const http: HttpFingerprint[] = [];
  const rows = parseCsv(httpCsv);
  for (const r of rows.slice(1)) {
    const [name = '', scope = '', , location = '', patternType = '', pattern = '', , countries = ''] = r.cells;
    if (!name) continue;
    if (location !== 'body' && !location.startsWith('header.')) {
      skipped.push({ name, reason: `line ${r.line}: unknown location_found "${location}"` });
      continue;
    }
    if (!PATTERN_TYPES.has(patternType) || pattern === '') {
      skipped.push({ name, reason: `line ${r.line}: unknown pattern_type "${patternType}" or empty pattern` });
      continue;
    }
    const fp: HttpFingerprint = {
      name,
      scope,
      location: location.toLowerCase(),
      patternType: patternType as PatternType,
      pattern,
      countries: splitCountries(countries),
    };
    if (fp.patternType === 'regexp') {
      try {
        fp.regexp = new RegExp(pattern);
      } catch (e) {
        skipped.push({ name, reason: `line ${r.line}: regexp does not compile: ${(e as Error).message}` });
        continue;
      }
    }
    http.push(fp);
  }
  const dns = new Map<string, DnsFingerprint>();
  for (const r of parseCsv(dnsCsv).slice(1)) {
    const [name = '', scope = '', , location = '', patternType = '', pattern = '', , countries = ''] = r.cells;
    if (!name) continue;
    if (location !== 'dns' || patternType !== 'full' || !pattern) {
      skipped.push({ name, reason: `line ${r.line}: not a full-match DNS pattern` });
      continue;
    }
    dns.set(pattern.trim(), { name, scope, ip: pattern.trim(), countries: splitCountries(countries) });
  }
  return { http, dns, skipped };
}

function splitCountries(s: string): string[] {
  return s
    .split(',')
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);
}

let cached: FingerprintDb | undefined;
/** The shipped fingerprints from seed/measurement/fingerprints (loaded once). */
export function shippedFingerprints(): FingerprintDb {
  if (!cached) {
    const dir = join(SEED_MEASUREMENT_DIR, 'fingerprints');
    cached = parseFingerprints(readFileSync(join(dir, 'fingerprints_http.csv'), 'utf8'), readFileSync(join(dir, 'fingerprints_dns.csv'), 'utf8'));
  }
  return cached;
}

function matches(fp: HttpFingerprint, value: string): boolean {
  switch (fp.patternType) {
    case 'contains':
      return value.includes(fp.pattern);
    case 'prefix':
      return value.startsWith(fp.pattern);
    case 'full':
      return value === fp.pattern;
    case 'regexp':
      return fp.regexp!.test(value);
  }
}

export interface HttpFingerprintMatch {
  name: string;
  location: string;
  pattern: string;
  scope: string;
  countries: string[];
  /** does another value (e.g. what the control saw) match the same pattern? */
  test(value: string): boolean;
}

/**
 * The first fingerprint that matches a response (body or a header). `headers` keys are compared
 * case-insensitively. Fingerprints scoped `fp` (known false positives) are ignored.
 */
export function matchHttpFingerprint(
  db: FingerprintDb,
  response: { body: string | null; headers: Record<string, string> },
): HttpFingerprintMatch | null {
  return matchHttpFingerprints(db, response)[0] ?? null;
}

/**
 * Every fingerprint that matches a response (body or a header), in the file's order. `headers` keys are compared
 * case-insensitively. Fingerprints scoped `fp` (known false positives) are ignored.
 */
export function matchHttpFingerprints(
  db: FingerprintDb,
  response: { body: string | null; headers: Record<string, string> },
): HttpFingerprintMatch[] {
  const headers = new Map<string, string>();
  for (const [k, v] of Object.entries(response.headers)) headers.set(k.toLowerCase(), v);
  const out: HttpFingerprintMatch[] = [];
  for (const fp of db.http) {
    if (fp.scope === 'fp') continue;
    let value: string | undefined;
    if (fp.location === 'body') value = response.body ?? undefined;
    else value = headers.get(fp.location.slice('header.'.length));
    if (value === undefined || value === '') continue;
    if (matches(fp, value)) out.push({ name: fp.name, location: fp.location, pattern: fp.pattern, scope: fp.scope, countries: fp.countries, test: (v: string) => matches(fp, v) });
  }
  return out;
}

export function matchDnsFingerprint(db: FingerprintDb, ip: string): DnsFingerprint | null {
  const fp = db.dns.get(ip);
  return fp && fp.scope !== 'fp' ? fp : null;
}
