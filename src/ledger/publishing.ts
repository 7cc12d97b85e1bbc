import type { Db } from '../platform/db.js';
import { ledgerFor } from './engine.js';
import { QUERIES, type QueryResult } from './queries.js';
import { Caveats } from './model.js';

/**
 * The ledger's public face, for the publish wing (as src/measure/publishing.ts and src/outages/publishing.ts are for
 * theirs): only rows marked TLP:CLEAR — the public transparency data sets (Google's government removal requests,
 * Lumen, DSA statements of reasons are all TLP:CLEAR on import) and analysts' rows explicitly marked CLEAR. Rows an
 * analyst entered at TLP:GREEN or above never reach these functions' answers, whoever asks.
 */

export const PUBLIC_LEDGER_ROWS = `tlp = 'TLP:CLEAR'`;

export interface PublicDemandYear {
  year: number;
  requestsLow: number;
  requestsHigh: number;
  itemsLow: number | null;
  itemsHigh: number | null;
  /** Share of the items requested that were removed (law or policy), over rows that report outcomes; null when none do. */
  shareRemoved: number | null;
}
export interface PublicCountryLedger {
  country: string;
  /** Government removal requests per year (Google Transparency Report), with the share complied with. */
  google: PublicDemandYear[];
  /** Infrastructure interventions marked TLP:CLEAR, per stack layer and action. */
  interventions: { layer: string; action: string; count: number; providers: number }[];
  caveats: { google: string; interventions: string };
}

const num = (v: unknown) => (v == null ? null : Number(v));
const cache = new WeakMap<object, Map<string, { at: number; value: Promise<PublicCountryLedger> }>>();

/** A country's public ledger figures; computed at most every 30 s (the ledger is not the registry: no generation). */
export function publicCountryLedger(db: Db, cc: string): Promise<PublicCountryLedger> {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  const hit = m.get(cc);
  if (hit && Date.now() - hit.at < 30_000) return hit.value;
  const value = (async () => {
    const e = await ledgerFor(db);
    // ClickHouse: output aliases must not shadow columns inside other aggregates (as runQuery does).
    const run = async (sql: string): Promise<QueryResult['rows']> => (await e.all(e.dialect === 'clickhouse' ? `${sql}\nSETTINGS prefer_column_name_to_alias = 1` : sql)) as QueryResult['rows'];
    const google = await run(QUERIES.compliance.sql[e.dialect]({ country: cc, series: 'google', by: ['year'] } as never, PUBLIC_LEDGER_ROWS, {}));
    const inter = await run(QUERIES.interventionsByLayer.sql[e.dialect]({ country: cc } as never, PUBLIC_LEDGER_ROWS, {}));
    return {
      country: cc,
      google: google.map((r) => ({
        year: Number(r.year), requestsLow: Number(r.requests_low ?? 0), requestsHigh: Number(r.requests_high ?? 0),
        itemsLow: num(r.items_low), itemsHigh: num(r.items_high), shareRemoved: r.share_removed == null ? null : Math.round(Number(r.share_removed) * 1000) / 1000,
      })),
      interventions: inter.map((r) => ({ layer: String(r.stack_layer), action: String(r.action), count: Number(r.interventions), providers: Number(r.providers) })),
      caveats: { google: Caveats.google, interventions: Caveats.interventions },
    };
  })();
  m.set(cc, { at: Date.now(), value });
  value.catch(() => m.delete(cc));
  if (m.size > 500) m.clear();
  return value;
}
