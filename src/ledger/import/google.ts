/**
 * Google Transparency Report, government requests to remove content: the four files as published, in both layouts.
 *
 *  - summary, current (2019H1–): country × half-year × requestor, number of requests, items, outcome percentages.
 *  - detailed, current (2011–): country × half-year × product × reason, total requests.
 *  - summary, historical (2009–2019H1): all requests, court orders, "other requests (executive, police, etc.)", each
 *    with number, "% fully or partially complied with" and items. One line becomes a row per requester type; where
 *    the breakdown is blank, the total stays as one row of unknown requester type.
 *  - detailed, historical (2009–2019H1): country × half-year × product × reason with court orders and executive/police
 *    counts and the items of both together.
 *
 * Counts: "<10" is the range 1–9 (low 1, high 9), never 0 or 10; blank or "?" is unknown (null), never 0. A line
 * whose cells cannot be read is flagged with the reason and the line itself, never dropped silently.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { LedgerEngine } from '../engine.js';
import { normaliseReason, normaliseRequester, parseCount, parsePct, type DemandRow, type RequesterType } from '../model.js';
import { runRowImport, type Flag, type ImportSummary } from '../store.js';
import { blankDemand, halfYear, sha256Of } from './common.js';

export type GoogleLayout = 'summary' | 'detailed' | 'summary-historical' | 'detailed-historical';

export function detectGoogleLayout(header: string[]): GoogleLayout | null {
  const h = header.map((x) => x.trim());
  if (h.includes('Requestor') && h.includes('Number of Requests')) return 'summary';
  if (h.includes('All Requests: Number of Requests')) return 'summary-historical';
  if (h.includes('Product') && h.includes('Total')) return 'detailed';
  if (h.includes('Product') && h.includes('Court Orders')) return 'detailed-historical';
  return null;
}

interface Parsed {
  layout: GoogleLayout;
  rows: DemandRow[];
  flags: Flag[];
  rowsRead: number;
}

/** Parses one Google file (its text) into ledger rows and flags. */
export function parseGoogle(text: string, meta: { fileName: string; sha256: string; importId: string }): Parsed {
  const records = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const header = (records[0] ?? []).map((h) => h.trim());
  const layout = detectGoogleLayout(header);
  if (!layout) throw new Error(`${meta.fileName}: not a Google government removal requests file (header: ${header.slice(0, 6).join(', ')})`);
  const col = (name: string) => header.indexOf(name);
  const dataset = `google-${layout}`;
  const rows: DemandRow[] = [];
  const flags: Flag[] = [];
  for (let i = 1; i < records.length; i++) {
    const r = records[i]!;
    const line = i + 1; // line in the file, header = 1
    const raw = r.join(',');
    const flag = (reason: string) => flags.push({ part: '', row_no: line, reason, raw });
    if (r.length !== header.length) {
      flag(`expected ${header.length} columns, found ${r.length}`);
      continue;
    }
    const get = (name: string) => (r[col(name)] ?? '').trim();
    const hy = halfYear(get('Period Ending'));
    if (!hy) {
      flag(`Period Ending "${get('Period Ending')}" is not a half-year end (YYYY-06-30 or YYYY-12-31)`);
      continue;
    }
    const cc = get('CLDR Territory Code').toUpperCase();
    // International bodies (Europol, Interpol) have a name but no territory code: kept, with no country.
    const international = cc === '' && get('Country/Region') !== '';
    if (!international && !/^[A-Z]{2}$/.test(cc)) {
      flag(`CLDR Territory Code "${get('CLDR Territory Code')}" is not a two-letter code`);
      continue;
    }
    let k = 0;
    const base = (): DemandRow => {
      const d = blankDemand({ id: `${meta.importId}:${line}:${k++}`, dataset, importId: meta.importId, sourceFile: meta.fileName, sha256: meta.sha256, row: line });
      d.requester_country = international ? null : cc;
      if (international) d.requester_raw = get('Country/Region');
      d.platform = 'Google';
      d.period_start = hy.start;
      d.period_end = hy.end;
      d.reason = '';
      return d;
    };
    const errors: string[] = [];
    const count = (name: string) => {
      const c = parseCount(get(name));
      if ('error' in c) {
        errors.push(`${name}: ${c.error}`);
        return { low: null, high: null };
      }
      return c;
    };
    const pct = (name: string) => {
      const p = parsePct(get(name));
      if (p !== null && typeof p === 'object') {
        errors.push(`${name}: ${p.error}`);
        return null;
      }
      return p;
    };
    const out: DemandRow[] = [];
    if (layout === 'summary') {
      const d = base();
      d.requester_raw = international ? `${get('Country/Region')}: ${get('Requestor')}` : get('Requestor');
      d.requester_type = normaliseRequester(d.requester_raw);
      const n = count('Number of Requests');
      const it = count('Items Requested To Be Removed');
      Object.assign(d, { requests_low: n.low, requests_high: n.high, items_low: it.low, items_high: it.high });
      d.pct_removed_law = pct('% Removed-Legal');
      d.pct_removed_policy = pct('% Removed-Policy');
      d.pct_not_found = pct('% Content Not Found');
      d.pct_not_enough_info = pct('% Not Enough Information');
      d.pct_no_action = pct('% No Action Taken');
      d.pct_already_removed = pct('% Content Already Removed');
      const shares = [d.pct_removed_law, d.pct_removed_policy, d.pct_not_found, d.pct_not_enough_info, d.pct_no_action, d.pct_already_removed];
      if (shares.some((s) => s !== null)) d.pct_complied = (d.pct_removed_law ?? 0) + (d.pct_removed_policy ?? 0);
      out.push(d);
    } else if (layout === 'detailed') {
      const d = base();
      d.product = get('Product');
      d.legal_basis_raw = get('Reason');
      d.reason = normaliseReason(d.legal_basis_raw);
      const n = count('Total');
      Object.assign(d, { requests_low: n.low, requests_high: n.high });
      out.push(d);
    } else if (layout === 'summary-historical') {
      const all = count('All Requests: Number of Requests');
      const allItems = count('All Requests: Items Requested To Be Removed');
      const allPct = pct('All Requests: % Fully Or Partially Complied With');
      const parts: [RequesterType, string, string][] = [
        ['court', 'Court Orders', 'Court Orders'],
        ['executive_police', 'Other Requests (Executive, Police, etc.)', 'Other Requests (Executive, Police, etc.)'],
      ];
      const given = parts
        .map(([type, prefix, rawName]) => ({ type, rawName, n: count(`${prefix}: Number of Requests`), items: count(`${prefix}: Items Requested To Be Removed`), p: pct(`${prefix}: % Fully Or Partially Complied With`) }))
        .filter((g) => g.n.low !== null);
      for (const g of given) {
        const d = base();
        Object.assign(d, { requester_type: g.type, requester_raw: g.rawName, requests_low: g.n.low, requests_high: g.n.high, items_low: g.items.low, items_high: g.items.high, pct_complied: g.p });
        out.push(d);
      }
      // What the breakdown does not cover stays as a row of unknown requester type, so that totals still add up.
      const lowGiven = given.reduce((s, g) => s + (g.n.low ?? 0), 0);
      const highGiven = given.reduce((s, g) => s + (g.n.high ?? 0), 0);
      if (all.low !== null && all.high !== null && all.high - lowGiven > 0) {
        const d = base();
        const itemsGiven = given.every((g) => g.items.low !== null) ? given.reduce((s, g) => s + (g.items.low ?? 0), 0) : null;
        Object.assign(d, {
          requester_type: 'unknown', requester_raw: given.length ? 'All Requests (not broken down)' : 'All Requests',
          requests_low: Math.max(0, all.low - highGiven), requests_high: all.high - lowGiven,
          items_low: allItems.low !== null && itemsGiven !== null ? Math.max(0, allItems.low - itemsGiven) : given.length ? null : allItems.low,
          items_high: allItems.high !== null && itemsGiven !== null ? Math.max(0, allItems.high - itemsGiven) : given.length ? null : allItems.high,
          pct_complied: given.length ? null : allPct,
        });
        out.push(d);
      }
    } else {
      const court = count('Court Orders');
      const exec = count('Executive, Police, etc.');
      const items = count('Items Requested To Be Removed');
      const product = get('Product');
      const reasonRaw = get('Reason');
      const mk = (type: RequesterType, rawName: string, n: { low: number | null; high: number | null }) => {
        const d = base();
        Object.assign(d, { product, legal_basis_raw: reasonRaw, reason: normaliseReason(reasonRaw), requester_type: type, requester_raw: rawName, requests_low: n.low, requests_high: n.high });
        return d;
      };
      const c = mk('court', 'Court Orders', court);
      const x = mk('executive_police', 'Executive, Police, etc.', exec);
      // The file gives items for both types together: they go with the only type that asked, else on their own row.
      if (court.high === 0 && exec.low !== null) Object.assign(x, { items_low: items.low, items_high: items.high });
      else if (exec.high === 0 && court.low !== null) Object.assign(c, { items_low: items.low, items_high: items.high });
      else if (items.low !== null) {
        const d = mk('unknown', 'Items for court orders and executive/police together', { low: null, high: null });
        Object.assign(d, { items_low: items.low, items_high: items.high });
        out.push(d);
      }
      if (court.low !== null) out.push(c);
      if (exec.low !== null) out.push(x);
    }
    if (errors.length) {
      flag(errors.join('; '));
      continue;
    }
    rows.push(...out);
  }
  return { layout, rows, flags, rowsRead: records.length - 1 };
}

/** Imports one Google file: resumable, idempotent (same file twice changes nothing), all-or-nothing. */
export async function importGoogle(e: LedgerEngine, path: string, opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<ImportSummary & { layout: GoogleLayout }> {
  const buf = readFileSync(path);
  const sha256 = sha256Of(buf);
  const fileName = basename(path);
  const text = buf.toString('utf8');
  const header = (parse(text.split('\n', 1)[0] ?? '', { bom: true }) as string[][])[0] ?? [];
  const layout = detectGoogleLayout(header);
  if (!layout) throw new Error(`${fileName}: not a Google government removal requests file (header: ${header.slice(0, 6).join(', ')})`);
  const summary = await runRowImport(e, { dataset: `google-${layout}`, fileName, sha256, orgId: '', createdBy: 'import' }, async (importId) => {
    opts.onProgress?.(0, 1);
    const p = parseGoogle(text, { fileName, sha256, importId });
    opts.onProgress?.(1, 1);
    return p;
  });
  return { ...summary, layout };
}
