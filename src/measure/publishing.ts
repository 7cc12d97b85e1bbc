import { gunzipSync } from 'node:zlib';
import type { Queryable } from '../platform/db.js';

/**
 * The measure wing's public face, for the publish wing. Measurements are network observations (OONI's format) and
 * are public by nature; what is published is scrubbed of the probe's own address (OONI's rule) before it leaves.
 */

export interface BlockedSite {
  domain: string;
  blocking: string;
  measurements: number;
  networks: number;
  firstDay: string;
  lastDay: string;
}

/** Domains that measurements in a country found blocked (any verdict but ok, down and unknown), most measured first. */
export async function blockedSites(db: Queryable, cc: string, limit = 100): Promise<BlockedSite[]> {
  const r = await db.query<{ domain: string; blocking: string; n: number; nets: number; first: string; last: string }>(
    `select domain, verdict blocking, count(*)::int n, count(distinct probe_asn)::int nets, min(day)::text first, max(day)::text last
       from measure_measurements where probe_cc = $1 and domain is not null and verdict not in ('ok','down','unknown')
      group by 1, 2 order by n desc, domain limit ${Math.max(1, Math.min(1000, limit))}`,
    [cc],
  );
  return r.rows.map((x) => ({ domain: x.domain, blocking: x.blocking, measurements: x.n, networks: x.nets, firstDay: x.first, lastDay: x.last }));
}

/** Verdict counts per country (open data overview). */
export async function measurementCounts(db: Queryable): Promise<{ country: string; verdict: string; count: number }[]> {
  const r = await db.query<{ cc: string; verdict: string; n: number }>(`select probe_cc cc, verdict, count(*)::int n from measure_measurements group by 1, 2 order by 1, 2`);
  return r.rows.map((x) => ({ country: x.cc, verdict: x.verdict, count: x.n }));
}

const SCRUB = new Set(['probe_ip', 'client_resolver']);
function scrub(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = SCRUB.has(k) ? '127.0.0.1' : scrub(x);
    return o;
  }
  return v;
}

/** Every stored measurement as one line of OONI JSON, in time order, with the probe's address scrubbed. */
export async function* measurementsJsonl(db: Queryable): AsyncGenerator<string> {
  for (let offset = 0; ; offset += 500) {
    const r = await db.query<{ raw_gz: Uint8Array }>(`select raw_gz from measure_measurements order by measurement_start_time, id limit 500 offset ${offset}`);
    for (const x of r.rows) yield `${JSON.stringify(scrub(JSON.parse(gunzipSync(x.raw_gz).toString('utf8'))))}\n`;
    if (r.rows.length < 500) return;
  }
}
