import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Offline IP → ASN lookups from the `@ip-location-db/asn` npm package (RouteViews, the five RIRs and DB-IP's
 * "IP to ASN Lite", CC BY 4.0: attribution to DB-IP.com, see docs/measure.md). Nothing is looked up on the
 * network. The numeric CSVs (start,end,asn,org) are read lazily, on the first lookup of each address family, into
 * typed arrays and searched by binary search, so a CLI start that never needs an ASN pays nothing.
 */

interface V4Table {
  start: Uint32Array;
  end: Uint32Array;
  asn: Uint32Array;
  org: string[];
}
interface V6Table {
  start: bigint[];
  end: bigint[];
  asn: Uint32Array;
  org: string[];
}

let v4: V4Table | null = null;
let v6: V6Table | null = null;
let dataDir: string | null = null;

/** The folder holding the package's CSVs (resolved through Node's module resolution, not a fixed path). */
export function asnDataDir(): string {
  if (!dataDir) {
    const require = createRequire(import.meta.url);
    dataDir = dirname(require.resolve('@ip-location-db/asn/package.json'));
  }
  return dataDir;
}

/** Version of the data package (its version string carries the build date, e.g. 2.3.2026061719 = 2026-06-17). */
export function asnDataVersion(): string {
  return (JSON.parse(readFileSync(join(asnDataDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

function splitRow(line: string): [string, string, string, string] | null {
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  const c = line.indexOf(',', b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  let org = line.slice(c + 1);
  if (org.startsWith('"') && org.endsWith('"')) org = org.slice(1, -1).replace(/""/g, '"');
  return [line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), org];
}

function loadV4(): V4Table {
  if (v4) return v4;
  const text = readFileSync(join(asnDataDir(), 'asn-ipv4-num.csv'), 'utf8');
  const lines = text.split('\n');
  const start = new Uint32Array(lines.length);
  const end = new Uint32Array(lines.length);
  const asn = new Uint32Array(lines.length);
  const org: string[] = new Array(lines.length);
  let n = 0;
  for (const line of lines) {
    const r = splitRow(line);
    if (!r) continue;
    start[n] = Number(r[0]);
    end[n] = Number(r[1]);
    asn[n] = Number(r[2]);
    org[n] = r[3];
    n++;
  }
  v4 = { start: start.subarray(0, n), end: end.subarray(0, n), asn: asn.subarray(0, n), org: org.slice(0, n) };
  return v4;
}

function loadV6(): V6Table {
  if (v6) return v6;
  const text = readFileSync(join(asnDataDir(), 'asn-ipv6-num.csv'), 'utf8');
  const start: bigint[] = [];
  const end: bigint[] = [];
  const asns: number[] = [];
  const org: string[] = [];
  for (const line of text.split('\n')) {
    const r = splitRow(line);
    if (!r) continue;
    start.push(BigInt(r[0]));
    end.push(BigInt(r[1]));
    asns.push(Number(r[2]));
    org.push(r[3]);
  }
  v6 = { start, end, asn: Uint32Array.from(asns), org };
  return v6;
}

function v4ToNum(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

export function v6ToBigInt(ip: string): bigint {
  let s = ip.toLowerCase();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // an embedded IPv4 tail (::ffff:1.2.3.4)
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const n = v4ToNum(m[2]!);
    s = `${m[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  let out = 0n;
  for (const g of groups) out = (out << 16n) + BigInt(parseInt(g || '0', 16));
  return out;
}

export interface AsnInfo {
  asn: number;
  org: string;
}

/** The AS announcing `ip`, or null when the data has no range for it (private space, unannounced). */
export function lookupAsn(ip: string): AsnInfo | null {
  if (isIPv4(ip)) {
    const t = loadV4();
    const x = v4ToNum(ip);
    let lo = 0;
    let hi = t.start.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (t.start[mid]! <= x) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi >= 0 && t.end[hi]! >= x) return { asn: t.asn[hi]!, org: t.org[hi]! };
    return null;
  }
  if (isIPv6(ip)) {
    if (ip.toLowerCase().startsWith('::ffff:') && isIPv4(ip.slice(7))) return lookupAsn(ip.slice(7));
    const t = loadV6();
    const x = v6ToBigInt(ip);
    let lo = 0;
    let hi = t.start.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (t.start[mid]! <= x) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi >= 0 && t.end[hi]! >= x) return { asn: t.asn[hi]!, org: t.org[hi]! };
    return null;
  }
  return null;
}
