import type { Queryable } from '../platform/db.js';
import type { Incident } from './model.js';

/**
 * Exports of the registry (CSV and JSON, API and CLI). Every row carries its source links and the attribution that
 * its data sets require (Access Now STOP, IODA), so a re-published file keeps them (docs/registry.md).
 */

/** RFC 4180 CSV with a header row. Cells that start like a formula are prefixed so spreadsheets do not run them. */
export const CSV_COLUMNS = [
  'id', 'type', 'title', 'country', 'area', 'startAt', 'startPrecision', 'endAt', 'endPrecision', 'endState', 'ongoingAsOf', 'durationDays',
  'durationIsMinimum', 'status', 'severity', 'tlp', 'networks', 'services', 'actors', 'targets', 'tags', 'summary', 'dataQuality', 'origin',
  'sourceLinks', 'attribution', 'createdAt', 'updatedAt',
] as const;

export const DATASET_ATTRIBUTION: Record<string, string> = {
  stop: 'Access Now #KeepItOn STOP data set (https://www.accessnow.org/keepiton/), attribution required',
  ioda: 'IODA investigated outages 2018–2022, Georgia Tech (https://ioda.inetintel.cc.gatech.edu/); cite "Destination Unreachable", ACM SIGCOMM 2023',
};
export const STACKWATCH_ATTRIBUTION = 'Stackwatch registry';

export interface ExportedIncident extends Incident {
  sources: { url: string | null; title: string; publisher: string }[];
  attribution: string[];
}

export function csvCell(v: unknown): string {
  let s: string;
  if (v == null) s = '';
  else if (Array.isArray(v)) s = v.map((x) => (typeof x === 'object' ? Object.values(x as object).filter((y) => y != null && y !== '').join(' ') : String(x))).join('; ');
  else s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function incidentCsvRow(i: Incident | ExportedIncident): string {
  const x = i as ExportedIncident;
  return CSV_COLUMNS.map((c) => {
    if (c === 'dataQuality') return csvCell(i.dataQuality.map((d) => `${d.code}: ${d.reason}`));
    if (c === 'sourceLinks') return csvCell((x.sources ?? []).map((s) => s.url).filter(Boolean).join(' '));
    if (c === 'attribution') return csvCell(x.attribution ?? []);
    return csvCell(i[c as keyof Incident]);
  }).join(',') + '\r\n';
}

/** Adds each incident's source links and data-set attribution, one query per batch of incidents. */
export async function* withProvenance(db: Queryable, items: AsyncIterable<Incident>, batchSize = 500): AsyncGenerator<ExportedIncident> {
  let batch: Incident[] = [];
  async function* flush(): AsyncGenerator<ExportedIncident> {
    if (!batch.length) return;
    const ids = batch.map((i) => i.id);
    const [sources, datasets] = await Promise.all([
      db.query<{ incident_id: string; url: string | null; title: string; publisher: string }>(
        `select incident_id, url, title, publisher from incident_sources where incident_id = any($1::uuid[]) and kind = 'url' order by added_at, id`,
        [ids],
      ),
      db.query<{ incident_id: string; dataset: string }>(
        `select distinct incident_id, dataset from (
           select incident_id, dataset from dataset_records where incident_id = any($1::uuid[])
           union all select id, origin from incidents where id = any($1::uuid[])
           union all select incident_id, split_part(ref, ':', 1) from incident_evidence where incident_id = any($1::uuid[]) and kind = 'outage_event') x`,
        [ids],
      ),
    ]);
    const src = new Map<string, ExportedIncident['sources']>();
    for (const s of sources.rows) src.set(s.incident_id, [...(src.get(s.incident_id) ?? []), { url: s.url, title: s.title, publisher: s.publisher }]);
    const att = new Map<string, Set<string>>();
    for (const d of datasets.rows) if (DATASET_ATTRIBUTION[d.dataset]) att.set(d.incident_id, (att.get(d.incident_id) ?? new Set()).add(DATASET_ATTRIBUTION[d.dataset]!));
    for (const i of batch) yield { ...i, sources: src.get(i.id) ?? [], attribution: [STACKWATCH_ATTRIBUTION, ...[...(att.get(i.id) ?? [])].sort()] };
    batch = [];
  }
  for await (const i of items) {
    batch.push(i);
    if (batch.length >= batchSize) yield* flush();
  }
  yield* flush();
}

export async function* incidentsToCsv(items: AsyncIterable<Incident | ExportedIncident>): AsyncGenerator<string> {
  yield CSV_COLUMNS.join(',') + '\r\n';
  let buf = '';
  for await (const i of items) {
    buf += incidentCsvRow(i);
    if (buf.length > 64_000) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}

/** JSON export: the items, then the attribution every re-publication must keep and the rules the figures follow. */
export async function* incidentsToJson(items: AsyncIterable<ExportedIncident>): AsyncGenerator<string> {
  yield '{"items":[';
  let first = true;
  for await (const inc of items) {
    yield (first ? '\n' : ',\n') + JSON.stringify(inc);
    first = false;
  }
  yield `\n],${JSON.stringify({
    exportedAt: new Date().toISOString(),
    attribution: [STACKWATCH_ATTRIBUTION, ...Object.values(DATASET_ATTRIBUTION)],
    rules: 'Periods select incidents active during them. endState: ended, ongoing (known to continue, as of ongoingAsOf) or unknown (end never recorded). Each item lists its own sources and attribution.',
  }).slice(1)}\n`;
}

/** Both formats, with provenance: what the API and the CLI write. */
export function exportChunks(db: Queryable, items: AsyncIterable<Incident>, format: 'csv' | 'json'): AsyncGenerator<string> {
  const rich = withProvenance(db, items);
  return format === 'csv' ? incidentsToCsv(rich) : incidentsToJson(rich);
}
