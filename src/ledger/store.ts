/**
 * The ledger's bookkeeping on either engine: imports (one per data set and file, resumable and idempotent), the rows
 * an import flagged, saved column mappings, and the TLP rule every read of analyst-entered rows goes through.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../platform/audit.js';
import { lit, type Dialect, type LedgerEngine } from './engine.js';
import type { DemandRow } from './model.js';
import { demandsRollupRows } from './rollup.js';

export interface ImportRecord {
  id: string;
  dataset: string;
  file_name: string;
  file_sha256: string;
  status: 'running' | 'done' | 'failed';
  rows_loaded: number;
  rows_flagged: number;
  error: string;
  org_id: string;
  created_by: string;
}

export interface Flag {
  part: string;
  row_no: number;
  reason: string;
  raw: string;
}

export interface ImportSummary {
  importId: string;
  dataset: string;
  file: string;
  sha256: string;
  /** True when this file was already fully imported: nothing was changed. */
  skipped: boolean;
  rowsRead: number;
  rowsLoaded: number;
  rowsFlagged: number;
  flags: Flag[];
  parts?: { part: string; rowsLoaded: number; rowsFlagged: number; rowsDuplicate?: number; skipped: boolean }[];
}

export const importIdFor = (dataset: string, sha256: string, orgId = '') =>
  createHash('sha256').update(`${dataset}\n${sha256}\n${orgId}`).digest('hex').slice(0, 32);

function latestImportsSql(d: Dialect, where: string): string {
  return d === 'duckdb'
    ? `SELECT * FROM ledger_imports WHERE ${where} QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC) = 1`
    : `SELECT * FROM ledger_imports FINAL WHERE ${where}`;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export async function getImport(e: LedgerEngine, id: string): Promise<ImportRecord | null> {
  const r = (await e.all(latestImportsSql(e.dialect, `id = ${lit(e.dialect, id)}`)))[0];
  return r ? ({ ...(r as unknown as ImportRecord), rows_loaded: num(r.rows_loaded), rows_flagged: num(r.rows_flagged) }) : null;
}

/** The latest 200 imports, each with the rows it found loaded already by another import (DSA; 0 for the others). */
export async function listImports(e: LedgerEngine): Promise<(ImportRecord & { rows_duplicate: number })[]> {
  const rows = await e.all(`SELECT * FROM (${latestImportsSql(e.dialect, '1=1')}) q ORDER BY started_at DESC LIMIT 200`);
  const dups = new Map((await e.all('SELECT import_id, sum(rows) AS n FROM ledger_dups GROUP BY import_id')).map((r) => [String(r.import_id), num(r.n)]));
  return rows.map((r) => ({ ...(r as unknown as ImportRecord), rows_loaded: num(r.rows_loaded), rows_flagged: num(r.rows_flagged), rows_duplicate: dups.get(String(r.id)) ?? 0 }));
}

const nowTs = () => new Date().toISOString().replace('T', ' ').replace('Z', '');

export async function recordImport(e: LedgerEngine, rec: ImportRecord, startedAt?: string): Promise<void> {
  const prev = await e.all(`SELECT max(version) AS v, min(started_at) AS s FROM ledger_imports WHERE id = ${lit(e.dialect, rec.id)}`);
  const version = num(prev[0]?.v) + 1;
  const started = startedAt ?? (prev[0]?.s ? String(prev[0].s).replace('T', ' ').replace('Z', '') : nowTs());
  await e.insert('ledger_imports', [{ ...rec, started_at: started.slice(0, 23), updated_at: nowTs().slice(0, 23), version }]);
}

/** Removes what an unfinished import left (ClickHouse has no transactions; on DuckDB a transaction already did). */
export async function clearImport(e: LedgerEngine, importId: string, tables: string[], partsToo = true): Promise<void> {
  const id = lit(e.dialect, importId);
  for (const t of tables) await e.run(`DELETE FROM ${t} WHERE import_id = ${id}`);
  await e.run(`DELETE FROM ledger_flags WHERE import_id = ${id}`);
  if (partsToo) await e.run(`DELETE FROM ledger_parts WHERE import_id = ${id}`);
}

export async function insertFlags(e: LedgerEngine, importId: string, flags: Flag[]): Promise<void> {
  for (let i = 0; i < flags.length; i += 1000) await e.insert('ledger_flags', flags.slice(i, i + 1000).map((f) => ({ import_id: importId, ...f, raw: f.raw.slice(0, 20_000) })));
}

export async function listFlags(e: LedgerEngine, importId: string, limit = 1000): Promise<Flag[]> {
  const rows = await e.all(`SELECT part, row_no, reason, raw FROM ledger_flags WHERE import_id = ${lit(e.dialect, importId)} ORDER BY part, row_no LIMIT ${Math.floor(limit)}`);
  return rows.map((r) => ({ part: String(r.part), row_no: num(r.row_no), reason: String(r.reason), raw: String(r.raw) }));
}

/** Writes demand rows and their rollup (rollup.ts) together: one transaction on DuckDB. */
export async function insertDemands(e: LedgerEngine, rows: DemandRow[]): Promise<void> {
  await e.transaction(async () => {
    for (let i = 0; i < rows.length; i += 2000) await e.insert('ledger_demands', rows.slice(i, i + 2000) as unknown as Record<string, unknown>[]);
    const roll = demandsRollupRows(rows);
    for (let i = 0; i < roll.length; i += 2000) await e.insert('ledger_demands_rollup', roll.slice(i, i + 2000));
  });
}

/**
 * Rows of `ledger_demands` this actor may read, as a SQL condition. Public data sets are TLP:CLEAR. Partners see
 * CLEAR and GREEN only; other roles also see their own organisation's AMBER rows and the RED rows they entered.
 */
export function visibleDemands(d: Dialect, actor: Actor): string {
  if (actor.role === 'partner') return `tlp IN ('TLP:CLEAR','TLP:GREEN')`;
  const org = lit(d, actor.orgId);
  const user = lit(d, actor.userId ?? '');
  return `(tlp IN ('TLP:CLEAR','TLP:GREEN') OR (org_id = ${org} AND tlp IN ('TLP:AMBER','TLP:AMBER+STRICT')) OR (tlp = 'TLP:RED' AND created_by <> '' AND created_by = ${user}))`;
}

export async function saveMapping(e: LedgerEngine, orgId: string, name: string, mapping: unknown, by: string): Promise<void> {
  const prev = await e.all(`SELECT max(version) AS v FROM ledger_mappings WHERE org_id = ${lit(e.dialect, orgId)} AND name = ${lit(e.dialect, name)}`);
  await e.insert('ledger_mappings', [{ name, org_id: orgId, mapping: JSON.stringify(mapping), saved_by: by, saved_at: nowTs().slice(0, 23), version: num(prev[0]?.v) + 1 }]);
}

export async function listMappings(e: LedgerEngine, orgId: string): Promise<{ name: string; mapping: unknown; savedBy: string; savedAt: string }[]> {
  const sql =
    e.dialect === 'duckdb'
      ? `SELECT * FROM ledger_mappings WHERE org_id = ${lit('duckdb', orgId)} QUALIFY row_number() OVER (PARTITION BY name ORDER BY version DESC) = 1 ORDER BY name`
      : `SELECT * FROM ledger_mappings FINAL WHERE org_id = ${lit('clickhouse', orgId)} ORDER BY name`;
  return (await e.all(sql)).map((r) => ({ name: String(r.name), mapping: JSON.parse(String(r.mapping)), savedBy: String(r.saved_by), savedAt: String(r.saved_at) }));
}

/**
 * Runs a row-based import all-or-nothing: an import already done is skipped; otherwise whatever an earlier, killed
 * run left is removed and the rows and flags are written in one transaction (DuckDB) or delete-then-insert by
 * import key (ClickHouse), then the import is marked done.
 */
export async function runRowImport(
  e: LedgerEngine,
  meta: { dataset: string; fileName: string; sha256: string; orgId: string; createdBy: string },
  produce: (importId: string) => Promise<{ rows: DemandRow[]; flags: Flag[]; rowsRead: number }>,
): Promise<ImportSummary> {
  const importId = importIdFor(meta.dataset, meta.sha256, meta.orgId);
  const base = { importId, dataset: meta.dataset, file: meta.fileName, sha256: meta.sha256 };
  const prev = await getImport(e, importId);
  if (prev?.status === 'done') {
    return { ...base, skipped: true, rowsRead: prev.rows_loaded + prev.rows_flagged, rowsLoaded: prev.rows_loaded, rowsFlagged: prev.rows_flagged, flags: await listFlags(e, importId, 50) };
  }
  const { rows, flags, rowsRead } = await produce(importId);
  const rec: ImportRecord = { id: importId, dataset: meta.dataset, file_name: meta.fileName, file_sha256: meta.sha256, status: 'running', rows_loaded: 0, rows_flagged: 0, error: '', org_id: meta.orgId, created_by: meta.createdBy };
  if (e.dialect === 'clickhouse') {
    await recordImport(e, rec);
    await clearImport(e, importId, ['ledger_demands', 'ledger_demands_rollup']);
    await insertDemands(e, rows);
    await insertFlags(e, importId, flags);
    await recordImport(e, { ...rec, status: 'done', rows_loaded: rows.length, rows_flagged: flags.length });
  } else {
    await e.transaction(async () => {
      await clearImport(e, importId, ['ledger_demands', 'ledger_demands_rollup']);
      await insertDemands(e, rows);
      await insertFlags(e, importId, flags);
      await recordImport(e, { ...rec, status: 'done', rows_loaded: rows.length, rows_flagged: flags.length });
    });
  }
  return { ...base, skipped: false, rowsRead, rowsLoaded: rows.length, rowsFlagged: flags.length, flags };
}
