/**
 * Lumen notices, from its API's JSON: one notice (`{notice: {...}}` or the bare object) or a search page
 * (`{notices: [...], meta: {...}}`). Each notice is one demand: the sender's type (court order, government or
 * law-enforcement request, private party), the recipient as the target platform, the works' URLs as the items,
 * `action_taken` as the outcome (Yes → removed, basis not stated; Partial; No → no action; Unspecified → unknown).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import type { LedgerEngine } from '../engine.js';
import { normaliseReason, type DemandRow, type Outcome, type RequesterType } from '../model.js';
import { runRowImport, type Flag, type ImportSummary } from '../store.js';
import { blankDemand, isDay, sha256Of } from './common.js';

const Work = z.object({ description: z.string().nullish(), infringing_urls: z.array(z.union([z.string(), z.object({ url: z.string() }).passthrough()])).nullish(), copyrighted_urls: z.array(z.unknown()).nullish() }).passthrough();
const Notice = z
  .object({
    id: z.union([z.number(), z.string()]),
    type: z.string().min(1),
    title: z.string().nullish(),
    body: z.string().nullish(),
    date_sent: z.string().nullish(),
    date_received: z.string().nullish(),
    topics: z.array(z.unknown()).nullish(),
    sender_name: z.string().nullish(),
    principal_name: z.string().nullish(),
    recipient_name: z.string().nullish(),
    works: z.array(Work).nullish(),
    tags: z.array(z.unknown()).nullish(),
    jurisdictions: z.array(z.string()).nullish(),
    action_taken: z.string().nullish(),
    language: z.string().nullish(),
    case_id_number: z.string().nullish(),
    date_submitted: z.string().nullish(),
  })
  .passthrough();

const TYPE_REQUESTER: Record<string, RequesterType> = {
  courtorder: 'court', governmentrequest: 'other_government', lawenforcementrequest: 'executive_police', locallaw: 'other_government',
  dmca: 'private_party', counterfeit: 'private_party', counternotice: 'private_party', dataprotection: 'private_party', defamation: 'private_party',
  privateinformation: 'private_party', trademark: 'private_party', other: 'unknown',
};

const OUTCOME: Record<string, Outcome> = { yes: 'removed', no: 'no_action', partial: 'partial', unspecified: 'unknown' };

/** Turns a Lumen JSON text into ledger rows; a notice that does not fit the format is flagged, not dropped. */
export function parseLumen(text: string, meta: { fileName: string; sha256: string; importId: string }): { rows: DemandRow[]; flags: Flag[]; rowsRead: number } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${meta.fileName}: not JSON (${(e as Error).message})`);
  }
  const d = doc as Record<string, unknown>;
  const list: unknown[] = Array.isArray(d.notices) ? d.notices : d.notice ? [d.notice] : d.id !== undefined ? [d] : [];
  if (!list.length && !Array.isArray(d.notices)) throw new Error(`${meta.fileName}: neither a Lumen notice ({"notice": …}) nor a search page ({"notices": […]})`);
  const rows: DemandRow[] = [];
  const flags: Flag[] = [];
  list.forEach((raw, i) => {
    const p = Notice.safeParse(raw);
    const rawText = JSON.stringify(raw).slice(0, 5000);
    if (!p.success) {
      flags.push({ part: '', row_no: i + 1, reason: p.error.issues.map((x) => `${x.path.join('.') || '(notice)'}: ${x.message}`).join('; '), raw: rawText });
      return;
    }
    const n = p.data;
    const date = (n.date_received ?? n.date_sent ?? n.date_submitted ?? '').slice(0, 10);
    if (!isDay(date)) {
      flags.push({ part: '', row_no: i + 1, reason: 'no usable date (date_received, date_sent or date_submitted)', raw: rawText });
      return;
    }
    const typeKey = n.type.toLowerCase().replace(/[^a-z]/g, '');
    const row = blankDemand({ id: `${meta.importId}:${n.id}`, dataset: 'lumen', importId: meta.importId, sourceFile: meta.fileName, sha256: meta.sha256, row: i + 1 });
    const cc = (n.jurisdictions ?? []).map((j) => j.trim().toUpperCase()).find((j) => /^[A-Z]{2}$/.test(j)) ?? null;
    const urls = (n.works ?? []).reduce((s, w) => s + (w.infringing_urls?.length ?? 0), 0);
    Object.assign(row, {
      record_kind: 'notice', requester_country: cc, requester_type: TYPE_REQUESTER[typeKey] ?? 'unknown', requester_raw: [n.sender_name, n.principal_name].filter(Boolean).join(' for ') || n.type,
      legal_basis_raw: [n.type, n.title ?? ''].filter(Boolean).join(': ').slice(0, 1000), reason: normaliseReason(n.type), platform: n.recipient_name ?? '',
      period_start: date, period_end: date, requests_low: 1, requests_high: 1, items_low: urls || null, items_high: urls || null,
      outcome: OUTCOME[(n.action_taken ?? 'unspecified').toLowerCase()] ?? 'unknown', target: (n.works ?? []).map((w) => w.description ?? '').filter(Boolean).join('; ').slice(0, 500),
      sources: JSON.stringify([`https://lumendatabase.org/notices/${n.id}`]),
    } satisfies Partial<DemandRow>);
    rows.push(row);
  });
  return { rows, flags, rowsRead: list.length };
}

export async function importLumen(e: LedgerEngine, path: string): Promise<ImportSummary> {
  const buf = readFileSync(path);
  const sha256 = sha256Of(buf);
  const fileName = basename(path);
  return runRowImport(e, { dataset: 'lumen', fileName, sha256, orgId: '', createdBy: 'import' }, async (importId) => parseLumen(buf.toString('utf8'), { fileName, sha256, importId }));
}
