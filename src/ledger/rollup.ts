/**
 * Rollup tables: counts and sums of the detail tables at the grain the named queries group by, written in the same
 * unit of work as the detail rows (a DSA part, a row import, an analyst's entry) and removed by the same keys, so
 * that they always add up to the detail rows. The named queries read them when no parameter needs a detail column
 * (queries.ts); the answers are those of the detail query (rollup.test.ts checks it on both engines).
 *
 *  - ledger_dsa_rollup: statements per import × part × day × platform × category × decision ground × automated
 *    detection × automated decision. Grouping by scope, source or content type reads ledger_dsa itself.
 *  - ledger_demands_rollup: per import × data set × record kind × TLP × organisation × author × requester country ×
 *    platform × requester type × reason × period end, the sums the compliance and requests queries are made of. The
 *    TLP, organisation and author columns are there so that the same visibility rule applies to the rollup.
 */
import type { LedgerEngine } from './engine.js';
import type { DemandRow } from './model.js';

/** The DSA columns the rollup keeps (with `day`); a volume query grouped or filtered only by these reads it. */
export const DSA_ROLLUP_KEYS = ['platform_name', 'category', 'decision_ground', 'automated_detection', 'automated_decision'] as const;

/** The demand columns the rollup keeps; every filter and grouping of `compliance` and `requests` is made of these. */
export const DEMANDS_ROLLUP_KEYS = ['import_id', 'dataset', 'record_kind', 'tlp', 'org_id', 'created_by', 'requester_country', 'platform', 'requester_type', 'reason', 'period_end'] as const;

/**
 * The sums of a demand rollup row. `w` is the weight of a row's shares (items, or requests where a row has no item
 * count), as in the detail compliance query; the w_* sums count only rows that report outcomes (pct_complied set)
 * and stay NULL where no such row has a weight, as SQL's sum does.
 */
export const DEMANDS_ROLLUP_SUMS = ['n_rows', 'req_low', 'req_high', 'req_high_n', 'it_low', 'it_high', 'it_high_n', 'w_known', 'w_complied', 'w_law', 'w_policy'] as const;

const W = 'coalesce(items_low, requests_low)';
const known = (x: string) => `CASE WHEN pct_complied IS NOT NULL THEN ${x} END`;

/** INSERT … SELECT of the DSA rollup from a relation with ledger_dsa's columns (`source` is a table or a subquery). */
export function dsaRollupInsertSql(source: string, where = '1 = 1'): string {
  const keys = ['import_id', 'part', 'day', ...DSA_ROLLUP_KEYS].join(', ');
  return `INSERT INTO ledger_dsa_rollup (${keys}, statements) SELECT ${keys}, count(*) FROM ${source} WHERE ${where} GROUP BY ${keys}`;
}

/** INSERT … SELECT of the demand rollup from ledger_demands rows (a backfill, the benchmark's generated rows). */
export function demandsRollupInsertSql(where = '1 = 1'): string {
  const keys = DEMANDS_ROLLUP_KEYS.join(', ');
  const sums = [
    'count(*)', 'sum(coalesce(requests_low, 0))', 'sum(requests_high)', 'count(requests_high)', 'sum(coalesce(items_low, 0))', 'sum(items_high)', 'count(items_high)',
    `sum(${known(W)})`, `sum(${known(`${W} * pct_complied`)})`, `sum(${known(`${W} * coalesce(pct_removed_law, 0)`)})`, `sum(${known(`${W} * coalesce(pct_removed_policy, 0)`)})`,
  ];
  return `INSERT INTO ledger_demands_rollup (${keys}, ${DEMANDS_ROLLUP_SUMS.join(', ')}) SELECT ${keys}, ${sums.join(', ')} FROM ledger_demands WHERE ${where} GROUP BY ${keys}`;
}

/** The demand rollup rows of a batch of detail rows, computed here with the same rules as demandsRollupInsertSql. */
export function demandsRollupRows(rows: DemandRow[]): Record<string, unknown>[] {
  const groups = new Map<string, Record<string, unknown>>();
  const add = (o: Record<string, unknown>, k: string, v: number | null) => {
    if (v === null) return;
    o[k] = o[k] === null ? v : (o[k] as number) + v;
  };
  for (const r of rows) {
    const keyVals = DEMANDS_ROLLUP_KEYS.map((k) => (r as unknown as Record<string, unknown>)[k] ?? null);
    const key = JSON.stringify(keyVals);
    let g = groups.get(key);
    if (!g) {
      g = Object.fromEntries(DEMANDS_ROLLUP_KEYS.map((k, i) => [k, keyVals[i]]));
      Object.assign(g, { n_rows: 0, req_low: 0, req_high: null, req_high_n: 0, it_low: 0, it_high: null, it_high_n: 0, w_known: null, w_complied: null, w_law: null, w_policy: null });
      groups.set(key, g);
    }
    g.n_rows = (g.n_rows as number) + 1;
    g.req_low = (g.req_low as number) + (r.requests_low ?? 0);
    add(g, 'req_high', r.requests_high);
    if (r.requests_high !== null) g.req_high_n = (g.req_high_n as number) + 1;
    g.it_low = (g.it_low as number) + (r.items_low ?? 0);
    add(g, 'it_high', r.items_high);
    if (r.items_high !== null) g.it_high_n = (g.it_high_n as number) + 1;
    const w = r.items_low ?? r.requests_low;
    if (r.pct_complied !== null && w !== null) {
      add(g, 'w_known', w);
      add(g, 'w_complied', w * r.pct_complied);
      add(g, 'w_law', w * (r.pct_removed_law ?? 0));
      add(g, 'w_policy', w * (r.pct_removed_policy ?? 0));
    }
  }
  return [...groups.values()];
}

/** Counts DSA rows by the rollup's keys as a part is read (the ClickHouse path, which has no staging table). */
export class DsaRollupCounter {
  private readonly counts = new Map<string, number>();
  add(r: Record<string, unknown>): void {
    const key = JSON.stringify([r.day, ...DSA_ROLLUP_KEYS.map((k) => r[k])]);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  rows(importId: string, part: string): Record<string, unknown>[] {
    return [...this.counts].map(([key, n]) => {
      const [day, ...vals] = JSON.parse(key) as string[];
      return { import_id: importId, part, day, ...Object.fromEntries(DSA_ROLLUP_KEYS.map((k, i) => [k, vals[i]])), statements: n };
    });
  }
}

async function tableExists(e: LedgerEngine, name: string): Promise<boolean> {
  const sql =
    e.dialect === 'duckdb'
      ? `SELECT count(*) AS n FROM information_schema.tables WHERE table_name = '${name}' AND table_schema = current_schema()`
      : `SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = '${name}'`;
  return Number((await e.all(sql))[0]?.n ?? 0) > 0;
}

/** Which rollup tables are missing before the schema is created (a ledger written before they existed). */
export async function missingRollups(e: LedgerEngine): Promise<{ dsa: boolean; demands: boolean }> {
  return { dsa: !(await tableExists(e, 'ledger_dsa_rollup')), demands: !(await tableExists(e, 'ledger_demands_rollup')) };
}

/** Fills rollup tables that were just created from the detail rows already there (once, when a ledger is upgraded). */
export async function backfillRollups(e: LedgerEngine, missing: { dsa: boolean; demands: boolean }): Promise<void> {
  await e.transaction(async () => {
    if (missing.dsa) await e.run(dsaRollupInsertSql('ledger_dsa'));
    if (missing.demands) await e.run(demandsRollupInsertSql());
  });
}
