import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { DemandRow } from '../model.js';

/** SHA-256 (and SHA-1, which the DSA dumps publish) of a file, streamed. */
export async function fileDigests(path: string): Promise<{ sha256: string; sha1: string; bytes: number }> {
  const a = createHash('sha256');
  const b = createHash('sha1');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    a.update(chunk as Buffer);
    b.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: a.digest('hex'), sha1: b.digest('hex'), bytes };
}

export const sha256Of = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** An empty demand row of a data set; importers fill in what their source says. */
export function blankDemand(p: { id: string; dataset: string; importId: string; sourceFile: string; sha256: string; row: number }): DemandRow {
  return {
    id: p.id, dataset: p.dataset, record_kind: 'aggregate', requester_country: null, requester_type: 'unknown', requester_raw: '', legal_basis_raw: '',
    reason: '', platform: '', product: '', stack_layer: 'application', period_start: '', period_end: '', requests_low: null, requests_high: null,
    items_low: null, items_high: null, pct_removed_law: null, pct_removed_policy: null, pct_not_found: null, pct_not_enough_info: null,
    pct_no_action: null, pct_already_removed: null, pct_complied: null, outcome: 'unknown', action: '', target: '', sources: '[]', tlp: 'TLP:CLEAR',
    org_id: '', created_by: '', source_file: p.sourceFile, file_sha256: p.sha256, source_row: p.row, import_id: p.importId,
  };
}

/** The half-year a Google "Period Ending" date closes: 2022-06-30 → 2022-01-01..2022-06-30. */
export function halfYear(periodEnd: string): { start: string; end: string } | null {
  const m = /^(\d{4})-(06-30|12-31)$/.exec(periodEnd.trim());
  if (!m) return null;
  return { start: `${m[1]}-${m[2] === '06-30' ? '01-01' : '07-01'}`, end: periodEnd.trim() };
}

export function isDay(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}
