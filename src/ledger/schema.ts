/** The ledger's tables, one DDL per dialect (DuckDB embedded, ClickHouse). Column names are the same on both. */
import type { Dialect } from './engine.js';

type Col = [name: string, duck: string, ch: string];

const S: [string, string] = ['VARCHAR', 'String'];
const D: [string, string] = ['DATE', 'Date'];
const N: [string, string] = ['BIGINT', 'Nullable(Int64)'];
const P: [string, string] = ['DOUBLE', 'Nullable(Float64)'];
const c = (name: string, t: [string, string]): Col => [name, t[0], t[1]];

export const DEMANDS: Col[] = [
  c('id', S), c('dataset', S), c('record_kind', S), ['requester_country', 'VARCHAR', 'Nullable(String)'], c('requester_type', S), c('requester_raw', S),
  c('legal_basis_raw', S), c('reason', S), c('platform', S), c('product', S), c('stack_layer', S), c('period_start', D), c('period_end', D),
  c('requests_low', N), c('requests_high', N), c('items_low', N), c('items_high', N), c('pct_removed_law', P), c('pct_removed_policy', P),
  c('pct_not_found', P), c('pct_not_enough_info', P), c('pct_no_action', P), c('pct_already_removed', P), c('pct_complied', P), c('outcome', S),
  c('action', S), c('target', S), c('sources', S), c('tlp', S), c('org_id', S), c('created_by', S), c('source_file', S), c('file_sha256', S),
  ['source_row', 'BIGINT', 'Int64'], c('import_id', S),
];

/** One statement of reasons of the EU DSA Transparency Database, narrowed to what the volume queries group by. */
export const DSA: Col[] = [
  c('uuid', S), c('platform_name', S), c('category', S), c('decision_ground', S), c('decision_visibility', S), c('decision_account', S),
  c('automated_detection', S), c('automated_decision', S), c('territorial_scope', S), c('scope_class', S), c('source_type', S), c('content_type', S),
  ['created_at', 'TIMESTAMP', 'DateTime'], c('day', D), c('file_sha256', S), c('part', S), ['row_no', 'BIGINT', 'Int64'], c('import_id', S),
];

/** Rollups (rollup.ts): written with the detail rows, in the same unit of work, and read by the named queries. */
export const DSA_ROLLUP: Col[] = [
  c('import_id', S), c('part', S), c('day', D), c('platform_name', S), c('category', S), c('decision_ground', S), c('automated_detection', S),
  c('automated_decision', S), ['statements', 'BIGINT', 'Int64'],
];
const I: [string, string] = ['BIGINT', 'Int64'];
export const DEMANDS_ROLLUP: Col[] = [
  c('import_id', S), c('dataset', S), c('record_kind', S), c('tlp', S), c('org_id', S), c('created_by', S), ['requester_country', 'VARCHAR', 'Nullable(String)'],
  c('platform', S), c('requester_type', S), c('reason', S), c('period_end', D), c('n_rows', I), c('req_low', I), c('req_high', N), c('req_high_n', I),
  c('it_low', I), c('it_high', N), c('it_high_n', I), c('w_known', P), c('w_complied', P), c('w_law', P), c('w_policy', P),
];

export const IMPORTS: Col[] = [
  c('id', S), c('dataset', S), c('file_name', S), c('file_sha256', S), c('status', S), ['rows_loaded', 'BIGINT', 'Int64'], ['rows_flagged', 'BIGINT', 'Int64'],
  c('error', S), c('org_id', S), c('created_by', S), ['started_at', 'TIMESTAMP', 'DateTime64(3)'], ['updated_at', 'TIMESTAMP', 'DateTime64(3)'], ['version', 'BIGINT', 'UInt64'],
];
export const PARTS: Col[] = [c('import_id', S), c('part', S), ['rows_loaded', 'BIGINT', 'Int64'], ['rows_flagged', 'BIGINT', 'Int64']];
/** Statements of a DSA part that another import had loaded already (same uuid): counted here, not loaded again. */
export const DUPS: Col[] = [c('import_id', S), c('part', S), c('other_import_id', S), ['rows', 'BIGINT', 'Int64']];
export const FLAGS: Col[] = [c('import_id', S), c('part', S), ['row_no', 'BIGINT', 'Int64'], c('reason', S), c('raw', S)];
export const MAPPINGS: Col[] = [c('name', S), c('org_id', S), c('mapping', S), c('saved_by', S), ['saved_at', 'TIMESTAMP', 'DateTime64(3)'], ['version', 'BIGINT', 'UInt64']];

function table(d: Dialect, name: string, cols: Col[], chEngine: string): string {
  const body = cols.map(([n, duck, ch]) => `  ${n} ${d === 'duckdb' ? duck : ch}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${name} (\n${body}\n)${d === 'clickhouse' ? ` ENGINE = ${chEngine}` : ''}`;
}

/** DDL of the ledger for one dialect. On ClickHouse: MergeTree tables ordered for the named queries. */
export function schemaSql(d: Dialect): string[] {
  return [
    table(d, 'ledger_demands', DEMANDS, 'MergeTree ORDER BY (dataset, coalesce(requester_country, \'\'), period_end, id)'),
    table(d, 'ledger_dsa', DSA, 'MergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, platform_name, category, decision_ground)'),
    table(d, 'ledger_dsa_rollup', DSA_ROLLUP, 'MergeTree PARTITION BY toYYYYMM(day) ORDER BY (day, platform_name, category, decision_ground, import_id, part)'),
    table(d, 'ledger_demands_rollup', DEMANDS_ROLLUP, "MergeTree ORDER BY (dataset, coalesce(requester_country, ''), period_end, import_id)"),
    table(d, 'ledger_imports', IMPORTS, 'ReplacingMergeTree(version) ORDER BY id'),
    table(d, 'ledger_parts', PARTS, 'MergeTree ORDER BY (import_id, part)'),
    table(d, 'ledger_flags', FLAGS, 'MergeTree ORDER BY (import_id, part, row_no)'),
    table(d, 'ledger_dups', DUPS, 'MergeTree ORDER BY (import_id, part)'),
    table(d, 'ledger_mappings', MAPPINGS, 'ReplacingMergeTree(version) ORDER BY (org_id, name)'),
  ];
}

export const TABLES: Record<string, Col[]> = {
  ledger_demands: DEMANDS, ledger_dsa: DSA, ledger_dsa_rollup: DSA_ROLLUP, ledger_demands_rollup: DEMANDS_ROLLUP, ledger_imports: IMPORTS, ledger_parts: PARTS, ledger_flags: FLAGS, ledger_dups: DUPS, ledger_mappings: MAPPINGS,
};
