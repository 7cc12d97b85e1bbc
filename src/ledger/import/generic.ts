/**
 * Any other transparency CSV (another platform's report, a research data set) through a column mapping: each of our
 * fields takes a column of the file by its header, or a constant written "=value" (e.g. platform "=Meta"). The same
 * mapping drives the CLI (`--map file.json`) and the console's mapping screen, which previews the first rows with
 * the problems each would raise before anything is saved.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { LedgerEngine } from '../engine.js';
import { countryCodeFromName } from '../../core/countries.js';
import { check, ColumnMapping, normaliseReason, normaliseRequester, OUTCOMES, parseCount, parsePct, STACK_LAYERS, type DemandRow, type Outcome, type StackLayer } from '../model.js';
import { runRowImport, type Flag, type ImportSummary } from '../store.js';
import { blankDemand, halfYear, isDay, sha256Of } from './common.js';

export interface MappedPreview {
  header: string[];
  rows: { line: number; values: Record<string, string>; row?: Partial<DemandRow>; problem?: string }[];
  /** Mapped columns missing from the header. */
  missingColumns: string[];
}

function normaliseDate(s: string): string | null {
  const t = s.trim();
  if (isDay(t)) return t;
  const m = /^(\d{4})-?H([12])$/i.exec(t);
  if (m) return m[2] === '1' ? `${m[1]}-06-30` : `${m[1]}-12-31`;
  if (/^\d{4}$/.test(t)) return `${t}-12-31`;
  const d = Date.parse(t);
  return Number.isNaN(d) ? null : new Date(d).toISOString().slice(0, 10);
}

/** Applies a mapping to one record; returns the row or the reason it cannot be used. */
export function mapRecord(m: ColumnMapping, header: string[], rec: string[], meta: { importId: string; fileName: string; sha256: string; line: number; orgId: string; by: string }): DemandRow | string {
  const get = (f: keyof ColumnMapping['columns']): string => {
    const src = m.columns[f];
    if (!src) return '';
    if (src.startsWith('=')) return src.slice(1);
    const i = header.indexOf(src);
    return i < 0 ? '' : (rec[i] ?? '').trim();
  };
  const row = blankDemand({ id: `${meta.importId}:${meta.line}`, dataset: `generic:${m.name}`, importId: meta.importId, sourceFile: meta.fileName, sha256: meta.sha256, row: meta.line });
  const ccRaw = get('requester_country');
  const cc = /^[A-Za-z]{2}$/.test(ccRaw) ? ccRaw.toUpperCase() : (countryCodeFromName(ccRaw) ?? '');
  if (!/^[A-Z]{2}$/.test(cc)) return `requester_country "${ccRaw}" is neither a two-letter code nor a country name`;
  const platform = get('platform');
  if (!platform) return 'platform is empty';
  const dateRaw = get('date') || get('period_end');
  const date = normaliseDate(dateRaw);
  if (!date) return `date "${dateRaw}" is not a date (YYYY-MM-DD, YYYY-H1, YYYY)`;
  const hy = m.columns.period_end && !m.columns.date ? halfYear(date) : null;
  const req = parseCount(get('requests'));
  if ('error' in req) return `requests: ${req.error}`;
  const items = parseCount(get('items'));
  if ('error' in items) return `items: ${items.error}`;
  if (req.low === null && items.low === null) return 'neither requests nor items has a count';
  const pct = parsePct(get('pct_removed'));
  if (pct !== null && typeof pct === 'object') return `pct_removed: ${pct.error}`;
  const layer = (get('stack_layer') || 'application').toLowerCase();
  if (!(STACK_LAYERS as readonly string[]).includes(layer)) return `stack_layer "${layer}" is not one of ${STACK_LAYERS.join(', ')}`;
  const outcome = (get('outcome') || 'unknown').toLowerCase().replace(/[^a-z]+/g, '_');
  if (!(OUTCOMES as readonly string[]).includes(outcome)) return `outcome "${get('outcome')}" is not one of ${OUTCOMES.join(', ')}`;
  Object.assign(row, {
    requester_country: cc, requester_raw: get('requester_type'), requester_type: normaliseRequester(get('requester_type')), legal_basis_raw: get('legal_basis'),
    reason: normaliseReason(get('reason') || get('legal_basis')), platform, product: get('product'), stack_layer: layer as StackLayer,
    period_start: hy ? hy.start : date, period_end: date, requests_low: req.low, requests_high: req.high, items_low: items.low, items_high: items.high,
    pct_complied: pct, outcome: outcome as Outcome, tlp: m.tlp, org_id: meta.orgId, created_by: meta.by,
  } satisfies Partial<DemandRow>);
  return row;
}

function readCsv(text: string, m: ColumnMapping): string[][] {
  return parse(text, { bom: true, delimiter: m.delimiter, relax_column_count: true, skip_empty_lines: true }) as string[][];
}

/** The first rows of a file through a mapping, each with its problem (nothing is stored). */
export function previewMapping(text: string, mapping: unknown, n = 10): MappedPreview {
  const m = check(ColumnMapping, mapping);
  const recs = readCsv(text, m);
  const header = (recs[0] ?? []).map((h) => h.trim());
  const missingColumns = Object.values(m.columns).filter((c): c is string => !!c && !c.startsWith('=') && !header.includes(c));
  const rows = recs.slice(1, n + 1).map((rec, i) => {
    const values = Object.fromEntries(header.map((h, k) => [h, rec[k] ?? '']));
    if (rec.length !== header.length) return { line: i + 2, values, problem: `expected ${header.length} columns, found ${rec.length}` };
    const r = mapRecord(m, header, rec, { importId: 'preview', fileName: '', sha256: '', line: i + 2, orgId: '', by: '' });
    return typeof r === 'string' ? { line: i + 2, values, problem: r } : { line: i + 2, values, row: r };
  });
  return { header, rows, missingColumns };
}

export function parseGeneric(text: string, m: ColumnMapping, meta: { fileName: string; sha256: string; importId: string; orgId: string; by: string }) {
  const recs = readCsv(text, m);
  const header = (recs[0] ?? []).map((h) => h.trim());
  const missing = Object.values(m.columns).filter((c): c is string => !!c && !c.startsWith('=') && !header.includes(c));
  if (missing.length) throw new Error(`${meta.fileName}: the mapping names columns the file does not have: ${missing.join(', ')} (the file has: ${header.join(', ')})`);
  const rows: DemandRow[] = [];
  const flags: Flag[] = [];
  for (let i = 1; i < recs.length; i++) {
    const rec = recs[i]!;
    const line = i + 1;
    if (rec.length !== header.length) {
      flags.push({ part: '', row_no: line, reason: `expected ${header.length} columns, found ${rec.length}`, raw: rec.join(m.delimiter) });
      continue;
    }
    const r = mapRecord(m, header, rec, { ...meta, line });
    if (typeof r === 'string') flags.push({ part: '', row_no: line, reason: r, raw: rec.join(m.delimiter) });
    else rows.push(r);
  }
  return { rows, flags, rowsRead: recs.length - 1 };
}

export async function importGeneric(e: LedgerEngine, path: string, mapping: unknown, who: { orgId: string; by: string }): Promise<ImportSummary> {
  const m = check(ColumnMapping, mapping);
  const buf = readFileSync(path);
  return importGenericText(e, buf.toString('utf8'), basename(path), m, who);
}

export async function importGenericText(e: LedgerEngine, text: string, fileName: string, mapping: unknown, who: { orgId: string; by: string }): Promise<ImportSummary> {
  const m = check(ColumnMapping, mapping);
  const sha256 = sha256Of(text);
  // the mapping is part of what was imported: another mapping of the same file is another import
  return runRowImport(e, { dataset: `generic:${m.name}`, fileName, sha256: sha256Of(`${sha256}\n${JSON.stringify(m)}`), orgId: who.orgId, createdBy: who.by }, async (importId) =>
    parseGeneric(text, m, { fileName, sha256, importId, orgId: who.orgId, by: who.by }),
  );
}
