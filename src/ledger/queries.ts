/**
 * The ledger's named queries: one list, one SQL text per dialect (DuckDB, ClickHouse), chosen by the engine that
 * answers. The API, the CLI and the console call `runQuery(engine, name, params, actor)` and never see which engine
 * it was. Parameters are validated with zod before any SQL is written; strings enter the SQL only as literals
 * escaped for the dialect (`lit`), identifiers only from fixed lists.
 */
import { z } from 'zod';
import type { Actor } from '../platform/audit.js';
import { lit, type Dialect, type LedgerEngine } from './engine.js';
import { Caveats, check, REQUESTER_TYPES } from './model.js';
import { DSA_ROLLUP_KEYS } from './rollup.js';
import { visibleDemands } from './store.js';

const Cc = z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'must be a two-letter country code such as RU');
const Year = z.coerce.number().int().min(2000).max(2100);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

/** Which Google rows a series reads: the current summary layout, and the historical one before it began (2019H1). */
export const SERIES = ['google', 'google-detailed', 'lumen', 'interventions', 'all'] as const;
export const HISTORICAL_UNTIL = '2019-06-30';

function seriesWhere(d: Dialect, s: (typeof SERIES)[number]): string {
  const h = lit(d, HISTORICAL_UNTIL);
  switch (s) {
    case 'google':
      return `(dataset = 'google-summary' OR (dataset = 'google-summary-historical' AND period_end < ${h}))`;
    case 'google-detailed':
      return `(dataset = 'google-detailed' OR (dataset = 'google-detailed-historical' AND period_end < '2011-06-30'))`;
    case 'lumen':
      return `dataset = 'lumen'`;
    case 'interventions':
      return `record_kind = 'intervention'`;
    default:
      return `dataset NOT IN ('google-detailed', 'google-detailed-historical', 'google-summary-historical')`;
  }
}

/** Small per-dialect pieces the SQL texts below are written with. */
const F = {
  duckdb: {
    year: (x: string) => `year(${x})`,
    str: (x: string) => `CAST(${x} AS VARCHAR)`,
    day: (x: string) => `strftime(${x}, '%Y-%m-%d')`,
  },
  clickhouse: {
    year: (x: string) => `toYear(${x})`,
    str: (x: string) => `toString(${x})`,
    day: (x: string) => `toString(${x})`,
  },
} as const;

/** Requests as ranges: the low end counts unknowns as 0; the high end is unknown (null) if any row's count is. */
function rangeSums(col: 'requests' | 'items'): string {
  return `sum(coalesce(${col}_low, 0)) AS ${col}_low, CASE WHEN count(${col}_high) = count(*) THEN sum(${col}_high) ELSE NULL END AS ${col}_high`;
}

const COMPLIANCE_KEYS = { country: 'requester_country', platform: 'platform', requester_type: 'requester_type', reason: 'reason', half_year: 'half_year', year: 'year' } as const;
const DSA_KEYS = ['platform_name', 'category', 'decision_ground', 'automated_detection', 'automated_decision', 'scope_class', 'source_type', 'content_type', 'day'] as const;

export interface NamedQuery<P extends z.ZodType> {
  params: P;
  caveat: string;
  numeric: string[];
  sql: Record<Dialect, (p: z.output<P>, vis: string, o: QueryOptions) => string>;
}

/**
 * `detail: true` makes compliance, requests and dsaVolumes read the detail tables instead of the rollups (rollup.ts):
 * for the tests that compare both, and for an operator who doubts a rollup. The answers are the same.
 */
export interface QueryOptions {
  detail?: boolean;
}

function nq<P extends z.ZodType>(q: NamedQuery<P>): NamedQuery<P> {
  return q;
}

const byList = <T extends string>(keys: readonly T[], dflt: T[]) =>
  z
    .union([z.array(z.enum(keys as unknown as [T, ...T[]])), z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(keys as unknown as [T, ...T[]])).min(1, 'name at least one column to group by').max(keys.length))
    .default(dflt as never);

function demandsSql(d: Dialect, p: { series: (typeof SERIES)[number]; country?: string; year?: number; from?: number; to?: number }, vis: string, extra = ''): string {
  const f = F[d];
  const w = [seriesWhere(d, p.series), vis];
  if (p.country) w.push(`requester_country = ${lit(d, p.country)}`);
  if (p.year !== undefined) w.push(`${f.year('period_end')} = ${p.year}`);
  if (p.from !== undefined) w.push(`${f.year('period_end')} >= ${p.from}`);
  if (p.to !== undefined) w.push(`${f.year('period_end')} <= ${p.to}`);
  if (extra) w.push(extra);
  return w.join(' AND ');
}

const SeriesP = z.enum(SERIES).default('google');
const ComplianceP = z
  .object({
    country: Cc.optional(), year: Year.optional(), from: Year.optional(), to: Year.optional(), series: SeriesP,
    requester_type: z.enum(REQUESTER_TYPES).optional(),
    by: byList(Object.keys(COMPLIANCE_KEYS) as (keyof typeof COMPLIANCE_KEYS)[], ['country', 'requester_type', 'half_year']),
  })
  .strict();
const DsaP = z
  .object({
    from: Day.optional(), to: Day.optional(), platform: z.string().max(200).optional(), category: z.string().max(200).optional(),
    by: byList(DSA_KEYS, ['platform_name', 'category', 'decision_ground', 'day']),
    limit: z.coerce.number().int().min(1).max(100_000).default(5000),
  })
  .strict();
const RowsP = z.object({ country: Cc.optional(), dataset: z.string().max(80).optional(), google: z.enum(['include', 'exclude']).default('include'), kind: z.enum(['aggregate', 'notice', 'intervention']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }).strict();

export const QUERIES = {
  /** Requests (and items) per country and year. */
  requests: nq({
    params: z.object({ country: Cc.optional(), year: Year.optional(), from: Year.optional(), to: Year.optional(), series: SeriesP }).strict(),
    caveat: Caveats.google,
    numeric: ['year', 'requests_low', 'requests_high', 'items_low', 'items_high', 'rows'],
    sql: {
      duckdb: (p, vis, o) => requestsSql('duckdb', p, vis, !o.detail),
      clickhouse: (p, vis, o) => requestsSql('clickhouse', p, vis, !o.detail),
    },
  }),
  /**
   * Compliance: requests, items, and the share of items removed (under law, under policy, both), grouped by any of
   * country × platform × requester type × reason × half-year. Shares are weighted by items (requests where a row has
   * no item count), over the rows that report outcomes.
   */
  compliance: nq({
    params: ComplianceP,
    caveat: Caveats.google,
    numeric: ['year', 'requests_low', 'requests_high', 'items_low', 'items_high', 'share_removed', 'share_removed_law', 'share_removed_policy', 'rows'],
    sql: {
      duckdb: (p, vis, o) => complianceSql('duckdb', p, vis, !o.detail),
      clickhouse: (p, vis, o) => complianceSql('clickhouse', p, vis, !o.detail),
    },
  }),
  /** Top reasons given for requests (Google's detailed files), optionally for one country and years. */
  reasons: nq({
    params: z.object({ country: Cc.optional(), from: Year.optional(), to: Year.optional(), limit: z.coerce.number().int().min(1).max(100).default(15) }).strict(),
    caveat: `${Caveats.google} Reasons come from the detailed files (country × product × reason).`,
    numeric: ['requests_low', 'requests_high', 'rows'],
    sql: {
      duckdb: (p, vis): string =>
        `SELECT reason, ${rangeSums('requests')}, count(*) AS rows FROM ledger_demands
         WHERE ${demandsSql('duckdb', { ...p, series: 'google-detailed' }, vis)} GROUP BY reason ORDER BY 2 DESC, 1 LIMIT ${p.limit}`,
      clickhouse: (p, vis): string =>
        `SELECT reason, ${rangeSums('requests')}, count() AS rows FROM ledger_demands
         WHERE ${demandsSql('clickhouse', { ...p, series: 'google-detailed' }, vis)} GROUP BY reason ORDER BY 2 DESC, 1 LIMIT ${p.limit}`,
    },
  }),
  /** DSA statements of reasons: volumes grouped by any of platform × category × ground × automation × scope × day. */
  dsaVolumes: nq({
    params: DsaP,
    caveat: Caveats.dsa,
    numeric: ['statements'],
    sql: {
      duckdb: (p, _vis, o) => dsaSql('duckdb', p, !o.detail),
      clickhouse: (p, _vis, o) => dsaSql('clickhouse', p, !o.detail),
    },
  }),
  /** Infrastructure interventions per stack layer and action. */
  interventionsByLayer: nq({
    params: z.object({ country: Cc.optional(), from: Year.optional(), to: Year.optional() }).strict(),
    caveat: Caveats.interventions,
    numeric: ['interventions', 'providers'],
    sql: {
      duckdb: (p, vis): string =>
        `SELECT stack_layer, action, count(*) AS interventions, count(DISTINCT platform) AS providers FROM ledger_demands
         WHERE ${demandsSql('duckdb', { ...p, series: 'interventions' }, vis)} GROUP BY 1, 2 ORDER BY 1, 2`,
      clickhouse: (p, vis): string =>
        `SELECT stack_layer, action, count() AS interventions, uniqExact(platform) AS providers FROM ledger_demands
         WHERE ${demandsSql('clickhouse', { ...p, series: 'interventions' }, vis)} GROUP BY stack_layer, action ORDER BY stack_layer, action`,
    },
  }),
  /** Individual rows (notices, interventions, generic imports) of a country, newest first. */
  rows: nq({
    params: RowsP,
    caveat: 'Rows as entered or imported, with their provenance (data set, file SHA-256, row).',
    numeric: ['requests_low', 'requests_high', 'items_low', 'items_high', 'source_row', 'pct_complied'],
    sql: {
      duckdb: (p, vis) => rowsSql('duckdb', p, vis),
      clickhouse: (p, vis) => rowsSql('clickhouse', p, vis),
    },
  }),
} as const;

/**
 * The half-year and the day are grouped as numbers and dates and written as text ('2023-H1', '2025-07-01') once per
 * group, in an outer query: building the text for every row first made the query several times slower at 100 M rows.
 */
function complianceSql(d: Dialect, p: z.output<typeof ComplianceP>, vis: string, rollup: boolean): string {
  const f = F[d];
  const halfKey = `${f.year('period_end')} * 10 + ${d === 'duckdb' ? 'CASE WHEN month(period_end) <= 6 THEN 1 ELSE 2 END' : 'if(toMonth(period_end) <= 6, 1, 2)'}`;
  const expr: Record<keyof typeof COMPLIANCE_KEYS, string> = {
    country: 'requester_country', platform: 'platform', requester_type: 'requester_type', reason: 'reason', half_year: halfKey, year: f.year('period_end'),
  };
  const keys = p.by;
  const inner = keys.map((k) => `${expr[k]} AS ${k === 'half_year' ? 'half_key' : k}`).join(', ');
  const groups = keys.map((k) => (k === 'half_year' ? 'half_key' : k)).join(', ');
  const halfLabel = d === 'duckdb' ? `CAST(half_key // 10 AS VARCHAR) || '-H' || CAST(half_key % 10 AS VARCHAR)` : `concat(toString(intDiv(half_key, 10)), '-H', toString(half_key % 10))`;
  const outer = keys.map((k) => (k === 'half_year' ? `${halfLabel} AS half_year` : k)).join(', ');
  const w = 'coalesce(items_low, requests_low)';
  const share = (pct: string) => `sum(CASE WHEN pct_complied IS NOT NULL THEN ${w} * ${pct} END) / nullif(sum(CASE WHEN pct_complied IS NOT NULL THEN ${w} END), 0)`;
  const extra = p.requester_type ? `requester_type = ${lit(d, p.requester_type)}` : '';
  const aggs = rollup
    ? `${rollupRangeSums('requests')}, ${rollupRangeSums('items')}, sum(w_complied) / nullif(sum(w_known), 0) AS share_removed,
      sum(w_law) / nullif(sum(w_known), 0) AS share_removed_law, sum(w_policy) / nullif(sum(w_known), 0) AS share_removed_policy, sum(n_rows) AS rows`
    : `${rangeSums('requests')}, ${rangeSums('items')},
      ${share('pct_complied')} AS share_removed, ${share('coalesce(pct_removed_law, 0)')} AS share_removed_law, ${share('coalesce(pct_removed_policy, 0)')} AS share_removed_policy,
      ${d === 'duckdb' ? 'count(*)' : 'count()'} AS rows`;
  return `SELECT ${outer}, requests_low, requests_high, items_low, items_high, share_removed, share_removed_law, share_removed_policy, rows FROM (
    SELECT ${inner}, ${aggs}
    FROM ${rollup ? 'ledger_demands_rollup' : 'ledger_demands'} WHERE ${demandsSql(d, p, vis, extra)}
    GROUP BY ${groups}) g
    ORDER BY ${groups}`;
}

/** rangeSums over ledger_demands_rollup: the high end is known only if every detail row's is. */
function rollupRangeSums(col: 'requests' | 'items'): string {
  const x = col === 'requests' ? 'req' : 'it';
  return `sum(${x}_low) AS ${col}_low, CASE WHEN sum(${x}_high_n) = sum(n_rows) THEN sum(${x}_high) ELSE NULL END AS ${col}_high`;
}

function requestsSql(d: Dialect, p: { country?: string; year?: number; from?: number; to?: number; series: (typeof SERIES)[number] }, vis: string, rollup: boolean): string {
  const aggs = rollup ? `${rollupRangeSums('requests')}, ${rollupRangeSums('items')}, sum(n_rows) AS rows` : `${rangeSums('requests')}, ${rangeSums('items')}, count(*) AS rows`;
  return `SELECT requester_country AS country, ${F[d].year('period_end')} AS year, ${aggs}
    FROM ${rollup ? 'ledger_demands_rollup' : 'ledger_demands'} WHERE ${demandsSql(d, p, vis)} GROUP BY country, year ORDER BY country, year`;
}

function dsaSql(d: Dialect, p: z.output<typeof DsaP>, rollup: boolean): string {
  // the rollup holds platform × category × ground × automation × day: any grouping within those (filters are on
  // day, platform and category, all in it) reads it; a grouping by scope, source or content type reads the rows
  const fromRollup = rollup && p.by.every((k) => k === 'day' || (DSA_ROLLUP_KEYS as readonly string[]).includes(k));
  const w: string[] = ['1 = 1'];
  if (p.from) w.push(`day >= ${lit(d, p.from)}`);
  if (p.to) w.push(`day <= ${lit(d, p.to)}`);
  if (p.platform) w.push(`platform_name = ${lit(d, p.platform)}`);
  if (p.category) w.push(`category = ${lit(d, p.category)}`);
  const inner = p.by.map((k) => (k === 'day' ? 'day AS day_key' : k)).join(', ');
  const groups = p.by.map((k) => (k === 'day' ? 'day_key' : k)).join(', ');
  const outer = p.by.map((k) => (k === 'day' ? `${F[d].day('day_key')} AS day` : k)).join(', ');
  return `SELECT ${outer}, statements FROM (
    SELECT ${inner}, ${fromRollup ? 'sum(statements)' : d === 'duckdb' ? 'count(*)' : 'count()'} AS statements FROM ${fromRollup ? 'ledger_dsa_rollup' : 'ledger_dsa'}
    WHERE ${w.join(' AND ')} GROUP BY ${groups}) g
    ORDER BY ${groups} LIMIT ${p.limit}`;
}

function rowsSql(d: Dialect, p: z.output<typeof RowsP>, vis: string): string {
  const w = [vis];
  if (p.country) w.push(`requester_country = ${lit(d, p.country)}`);
  if (p.dataset) w.push(`dataset = ${lit(d, p.dataset)}`);
  if (p.kind) w.push(`record_kind = ${lit(d, p.kind)}`);
  if (p.google === 'exclude') w.push(`dataset NOT LIKE 'google%'`);
  return `SELECT id, dataset, record_kind, requester_country, requester_type, requester_raw, legal_basis_raw, reason, platform, product, stack_layer,
      ${F[d].str('period_start')} AS period_start, ${F[d].str('period_end')} AS period_end, requests_low, requests_high, items_low, items_high, pct_complied,
      outcome, action, target, sources, tlp, source_file, file_sha256, source_row
    FROM ledger_demands WHERE ${w.join(' AND ')} ORDER BY period_end DESC, id LIMIT ${p.limit}`;
}

export type QueryName = keyof typeof QUERIES;
export const QUERY_NAMES = Object.keys(QUERIES) as QueryName[];

export interface QueryResult {
  query: QueryName;
  engine: string;
  caveat: string;
  rows: Record<string, string | number | null>[];
}

/** Validates the parameters (zod: errors name the field), writes the dialect's SQL, runs it, normalises numbers. */
export async function runQuery(e: LedgerEngine, name: QueryName, params: unknown, actor: Actor, opts: QueryOptions = {}): Promise<QueryResult> {
  const q = QUERIES[name] as NamedQuery<z.ZodType>;
  const p = check(q.params, params ?? {});
  let sql = q.sql[e.dialect](p, visibleDemands(e.dialect, actor), opts);
  // ClickHouse: an output alias (requests_low) must not shadow the column of the same name inside other aggregates.
  if (e.dialect === 'clickhouse') sql += '\nSETTINGS prefer_column_name_to_alias = 1';
  const rows = (await e.all(sql)).map((r) => {
    const o: Record<string, string | number | null> = {};
    for (const [k, v] of Object.entries(r)) {
      if (v === null || v === undefined) o[k] = null;
      else if (q.numeric.includes(k)) o[k] = Math.round(Number(v) * 1e4) / 1e4;
      else o[k] = String(v);
    }
    return o;
  });
  return { query: name, engine: e.name, caveat: q.caveat, rows };
}
